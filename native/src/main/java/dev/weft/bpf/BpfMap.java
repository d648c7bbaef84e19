package dev.weft.bpf;

import dev.weft.libc.Errno;

/** A map created by this process: its descriptor, closed by {@link #close()}. */
public final class BpfMap implements AutoCloseable {
    private final String name;
    private final int fd;
    private final int keySize;
    private final int valueSize;
    private boolean closed;

    private BpfMap(String name, int fd, int keySize, int valueSize) {
        this.name = name;
        this.fd = fd;
        this.keySize = keySize;
        this.valueSize = valueSize;
    }

    /**
     * @throws BpfException when the kernel refuses (no BPF, a limit, a bad size)
     */
    public static BpfMap create(int type, int keySize, int valueSize, int maxEntries, int flags, String name) {
        return new BpfMap(name, Bpf.createMap(type, keySize, valueSize, maxEntries, flags, name), keySize, valueSize);
    }

    public int fd() {
        return fd;
    }

    public String name() {
        return name;
    }

    /** Inserts or replaces. */
    public void put(byte[] key, byte[] value) {
        check(key, value.length, valueSize);
        int r = Bpf.update(fd, key, value);
        if (r != 0) {
            throw new BpfException("bpf MAP_UPDATE_ELEM " + name, -r, null);
        }
    }

    /** Removes; false when the key was not there. */
    public boolean remove(byte[] key) {
        check(key, 0, 0);
        int r = Bpf.delete(fd, key);
        if (r == -Errno.ENOENT.number()) {
            return false;
        }
        if (r != 0) {
            throw new BpfException("bpf MAP_DELETE_ELEM " + name, -r, null);
        }
        return true;
    }

    /**
     * Reads the value into {@code out} (for a per-CPU map, one slot per possible CPU, each
     * rounded up to 8 bytes); false when the key is not there.
     */
    public boolean get(byte[] key, byte[] out) {
        check(key, 0, 0);
        int r = Bpf.lookup(fd, key, out);
        if (r == -Errno.ENOENT.number()) {
            return false;
        }
        if (r != 0) {
            throw new BpfException("bpf MAP_LOOKUP_ELEM " + name, -r, null);
        }
        return true;
    }

    private void check(byte[] key, int have, int want) {
        if (closed) {
            throw new IllegalStateException("map " + name + " is closed");
        }
        if (key.length != keySize || have != want) {
            throw new IllegalArgumentException("map " + name + ": key of " + key.length + " bytes (wants " + keySize
                    + "), value of " + have + " (wants " + want + ")");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Bpf.close(fd);
        }
    }
}
