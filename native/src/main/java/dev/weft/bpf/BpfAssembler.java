package dev.weft.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an eBPF program instruction by instruction, with named labels for jumps (resolved by
 * {@link #assemble()}, so a program reads top to bottom like its C would) and map references by
 * file descriptor. The opcode layout is the kernel's ({@code include/uapi/linux/bpf.h},
 * {@code Documentation/bpf/standardization/instruction-set.rst}): class in the low 3 bits,
 * source (K immediate, X register) in bit 3, operation or size/mode in the high bits.
 * Registers: R0 return value, R1–R5 helper arguments (clobbered by a call), R6–R9 callee-saved,
 * R10 the read-only frame pointer (the stack is 512 bytes below it).
 */
public final class BpfAssembler {
    public static final int R0 = 0;
    public static final int R1 = 1;
    public static final int R2 = 2;
    public static final int R3 = 3;
    public static final int R4 = 4;
    public static final int R5 = 5;
    public static final int R6 = 6;
    public static final int R7 = 7;
    public static final int R8 = 8;
    public static final int R9 = 9;
    public static final int FP = 10;

    private static final int CLASS_LD = 0x00;
    private static final int CLASS_LDX = 0x01;
    private static final int CLASS_ST = 0x02;
    private static final int CLASS_STX = 0x03;
    private static final int CLASS_ALU = 0x04;
    private static final int CLASS_JMP = 0x05;
    private static final int CLASS_ALU64 = 0x07;
    private static final int SRC_K = 0x00;
    private static final int SRC_X = 0x08;
    private static final int MODE_IMM = 0x00;
    private static final int MODE_MEM = 0x60;
    private static final int OP_END = 0xd0;
    private static final int TO_BE = 0x08;
    private static final int OP_CALL = 0x80;
    private static final int OP_EXIT = 0x90;
    /** src_reg of a 64-bit immediate load that names a map by file descriptor. */
    private static final int PSEUDO_MAP_FD = 1;

    /** Access sizes. */
    public enum Size {
        W(0x00, 4), H(0x08, 2), B(0x10, 1), DW(0x18, 8);

        final int bits;
        public final int bytes;

        Size(int bits, int bytes) {
            this.bits = bits;
            this.bytes = bytes;
        }
    }

    /** ALU operations (64-bit unless the 32-bit forms are asked for). */
    public enum Alu {
        ADD(0x00), SUB(0x10), MUL(0x20), DIV(0x30), OR(0x40), AND(0x50), LSH(0x60), RSH(0x70), MOD(0x90), XOR(0xa0), MOV(0xb0), ARSH(0xc0);

        final int bits;

        Alu(int bits) {
            this.bits = bits;
        }
    }

    /** Conditional jumps (64-bit comparisons; GT/GE/LT/LE unsigned, S* signed). */
    public enum Jmp {
        JEQ(0x10), JGT(0x20), JGE(0x30), JSET(0x40), JNE(0x50), JSGT(0x60), JSGE(0x70), JLT(0xa0), JLE(0xb0), JSLT(0xc0), JSLE(0xd0);

        final int bits;

        Jmp(int bits) {
            this.bits = bits;
        }
    }

    private final List<Insn> insns = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();
    /** Instruction index → the label its offset must reach. */
    private final Map<Integer, String> fixups = new HashMap<>();

    private BpfAssembler add(int code, int dst, int src, int off, int imm) {
        insns.add(new Insn(code, dst, src, off, imm));
        return this;
    }

    /** {@code dst = src} (64-bit). */
    public BpfAssembler mov(int dst, int src) {
        return alu(Alu.MOV, dst, src);
    }

    /** {@code dst = imm} (64-bit, the immediate sign-extended). */
    public BpfAssembler movImm(int dst, int imm) {
        return aluImm(Alu.MOV, dst, imm);
    }

    /** {@code dst op= src} (64-bit). */
    public BpfAssembler alu(Alu op, int dst, int src) {
        return add(CLASS_ALU64 | op.bits | SRC_X, dst, src, 0, 0);
    }

    /** {@code dst op= imm} (64-bit). */
    public BpfAssembler aluImm(Alu op, int dst, int imm) {
        return add(CLASS_ALU64 | op.bits | SRC_K, dst, 0, 0, imm);
    }

    /** {@code dst op= imm} on the low 32 bits, the upper 32 zeroed. */
    public BpfAssembler alu32Imm(Alu op, int dst, int imm) {
        return add(CLASS_ALU | op.bits | SRC_K, dst, 0, 0, imm);
    }

    /** Converts the low {@code bits} (16, 32, 64) of {@code dst} from host to network byte order. */
    public BpfAssembler toBigEndian(int dst, int bits) {
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("byte swap width " + bits);
        }
        return add(CLASS_ALU | OP_END | TO_BE, dst, 0, 0, bits);
    }

    /** {@code dst = *(size *)(src + off)}. */
    public BpfAssembler load(Size size, int dst, int src, int off) {
        return add(CLASS_LDX | MODE_MEM | size.bits, dst, src, off, 0);
    }

    /** {@code *(size *)(dst + off) = src}. */
    public BpfAssembler store(Size size, int dst, int off, int src) {
        return add(CLASS_STX | MODE_MEM | size.bits, dst, src, off, 0);
    }

    /** {@code *(size *)(dst + off) = imm}. */
    public BpfAssembler storeImm(Size size, int dst, int off, int imm) {
        return add(CLASS_ST | MODE_MEM | size.bits, dst, 0, off, imm);
    }

    /** {@code dst = imm64}: the two-slot wide load. */
    public BpfAssembler loadImm64(int dst, long imm) {
        add(CLASS_LD | MODE_IMM | Size.DW.bits, dst, 0, 0, (int) imm);
        return add(0, 0, 0, 0, (int) (imm >>> 32));
    }

    /** {@code dst = &map}: the kernel replaces the descriptor with the map's address at load. */
    public BpfAssembler loadMap(int dst, int mapFd) {
        add(CLASS_LD | MODE_IMM | Size.DW.bits, dst, PSEUDO_MAP_FD, 0, mapFd);
        return add(0, 0, 0, 0, 0);
    }

    /** {@code if (dst op imm) goto label}. */
    public BpfAssembler jumpImm(Jmp op, int dst, int imm, String label) {
        fixups.put(insns.size(), label);
        return add(CLASS_JMP | op.bits | SRC_K, dst, 0, 0, imm);
    }

    /** {@code if (dst op src) goto label}. */
    public BpfAssembler jump(Jmp op, int dst, int src, String label) {
        fixups.put(insns.size(), label);
        return add(CLASS_JMP | op.bits | SRC_X, dst, src, 0, 0);
    }

    /** {@code goto label}. */
    public BpfAssembler jumpAlways(String label) {
        fixups.put(insns.size(), label);
        return add(CLASS_JMP, 0, 0, 0, 0);
    }

    /** Marks the next instruction as {@code name}'s target. */
    public BpfAssembler label(String name) {
        if (labels.putIfAbsent(name, insns.size()) != null) {
            throw new IllegalStateException("label " + name + " is defined twice");
        }
        return this;
    }

    /** Calls helper function {@code id} (see {@link Helper}); R1–R5 are its arguments, R0 its result. */
    public BpfAssembler call(int id) {
        return add(CLASS_JMP | OP_CALL, 0, 0, 0, id);
    }

    /** Returns R0. */
    public BpfAssembler exit() {
        return add(CLASS_JMP | OP_EXIT, 0, 0, 0, 0);
    }

    /** The instructions with every jump offset resolved; a label used but not defined is an error. */
    public List<Insn> assemble() {
        List<Insn> out = new ArrayList<>(insns);
        for (var f : fixups.entrySet()) {
            Integer target = labels.get(f.getValue());
            if (target == null) {
                throw new IllegalStateException("jump to undefined label " + f.getValue());
            }
            int off = target - f.getKey() - 1;
            if (off < Short.MIN_VALUE || off > Short.MAX_VALUE) {
                throw new IllegalStateException("jump to " + f.getValue() + " is too far: " + off);
            }
            out.set(f.getKey(), out.get(f.getKey()).withOff(off));
        }
        return out;
    }

    /** The program as the bytes BPF_PROG_LOAD takes. */
    public static byte[] encode(List<Insn> program) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("eBPF programs are only encoded for little-endian hosts");
        }
        ByteBuffer b = ByteBuffer.allocate(program.size() * Insn.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (Insn i : program) {
            i.write(b);
        }
        return b.array();
    }
}
