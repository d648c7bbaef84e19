package dev.weft.libc;

import com.kenai.jffi.MemoryIO;
import java.nio.Buffer;

/**
 * A small block of native memory for system-call arguments (sockaddr, ifreq, pollfd, option
 * values), and the address of a direct buffer. Plain jffi memory, freed by {@link #close()}; no
 * JNR runtime is needed for it, which keeps a CNI plugin's start short.
 */
public final class NativeMemory implements AutoCloseable {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final long address;
    private final int size;
    private boolean freed;

    private NativeMemory(long address, int size) {
        this.address = address;
        this.size = size;
    }

    /** Zeroed memory of {@code size} bytes. */
    public static NativeMemory allocate(int size) {
        long a = IO.allocateMemory(size, true);
        if (a == 0) {
            throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
        }
        return new NativeMemory(a, size);
    }

    /** The native address of a direct buffer's first byte (its position is not added). */
    public static long addressOf(Buffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer");
        }
        return IO.getDirectBufferAddress(direct);
    }

    public long address() {
        return address;
    }

    public int size() {
        return size;
    }

    private long at(int offset, int len) {
        if (freed || offset < 0 || offset + len > size) {
            throw new IndexOutOfBoundsException("offset " + offset + "+" + len + " outside " + size + (freed ? " (freed)" : ""));
        }
        return address + offset;
    }

    public void putInt(int offset, int v) {
        IO.putInt(at(offset, 4), v);
    }

    public int getInt(int offset) {
        return IO.getInt(at(offset, 4));
    }

    public void putLong(int offset, long v) {
        IO.putLong(at(offset, 8), v);
    }

    public long getLong(int offset) {
        return IO.getLong(at(offset, 8));
    }

    public void putShort(int offset, short v) {
        IO.putShort(at(offset, 2), v);
    }

    public short getShort(int offset) {
        return IO.getShort(at(offset, 2));
    }

    public void put(int offset, byte[] b) {
        IO.putByteArray(at(offset, b.length), b, 0, b.length);
    }

    public void get(int offset, byte[] b) {
        IO.getByteArray(at(offset, b.length), b, 0, b.length);
    }

    /** {@code len} bytes of {@code b} from {@code off} to this memory at {@code offset}. */
    public void put(int offset, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        IO.putByteArray(at(offset, len), b, off, len);
    }

    /** {@code len} bytes of this memory at {@code offset} into {@code b} from {@code off}. */
    public void get(int offset, byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        IO.getByteArray(at(offset, len), b, off, len);
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            IO.freeMemory(address);
        }
    }
}
