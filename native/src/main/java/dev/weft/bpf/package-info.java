/**
 * eBPF from Java, without a C compiler: {@link dev.weft.bpf.Insn} (one instruction, encoded as the
 * kernel's {@code struct bpf_insn}), {@link dev.weft.bpf.BpfAssembler} (a builder with named jump
 * labels and map references), and {@link dev.weft.bpf.Bpf} (the bpf(2) system call: program
 * load with the verifier's log, map create/update/delete/lookup). Attaching a program to a device
 * is rtnetlink's part ({@code RtNetlink.attachBpf}).
 */
package dev.weft.bpf;
