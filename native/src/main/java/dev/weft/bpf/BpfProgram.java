package dev.weft.bpf;

import java.util.List;

/**
 * A loaded program's descriptor. The kernel keeps the program (and the maps it references) alive
 * while anything holds it: this descriptor, or a tc filter it was attached to; closing the
 * descriptor after attaching leaves the filter working.
 */
public final class BpfProgram implements AutoCloseable {
    private final String name;
    private final int fd;
    private boolean closed;

    private BpfProgram(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    /**
     * Loads a tc classifier (BPF_PROG_TYPE_SCHED_CLS) under the GPL licence, which the helpers it
     * calls require.
     *
     * @throws BpfException with the verifier's log when the kernel refuses it
     */
    public static BpfProgram loadClassifier(String name, List<Insn> program) {
        return new BpfProgram(name, Bpf.loadProgram(Bpf.PROG_TYPE_SCHED_CLS, program, "GPL", name));
    }

    public int fd() {
        return fd;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Bpf.close(fd);
        }
    }
}
