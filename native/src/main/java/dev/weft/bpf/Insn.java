package dev.weft.bpf;

import java.nio.ByteBuffer;

/**
 * One eBPF instruction as the kernel's {@code struct bpf_insn}: an 8-bit opcode, destination and
 * source registers (4 bits each), a signed 16-bit offset and a signed 32-bit immediate, 8 bytes
 * little-endian (the byte order of the host, which is what the kernel reads; Weft runs on
 * little-endian machines only, see {@link #write}).
 */
public record Insn(int code, int dst, int src, int off, int imm) {

    /** The size of one encoded instruction. */
    public static final int SIZE = 8;

    public Insn {
        if ((code & ~0xff) != 0 || dst < 0 || dst > 10 || src < 0 || src > 15 || off < Short.MIN_VALUE || off > Short.MAX_VALUE) {
            throw new IllegalArgumentException("not an eBPF instruction: code " + code + " dst " + dst + " src " + src + " off " + off);
        }
    }

    /** Appends the 8 bytes at the buffer's position; the buffer must be little-endian. */
    void write(ByteBuffer b) {
        b.put((byte) code);
        b.put((byte) (dst | src << 4));
        b.putShort((short) off);
        b.putInt(imm);
    }

    Insn withOff(int o) {
        return new Insn(code, dst, src, o, imm);
    }

    Insn withImm(int i) {
        return new Insn(code, dst, src, off, i);
    }
}
