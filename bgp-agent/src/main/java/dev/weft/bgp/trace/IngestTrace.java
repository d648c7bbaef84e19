package dev.weft.bgp.trace;

import dev.weft.net.IpAddress;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Timestamps of the ingest pipeline's steps, kept in a fixed array and written to
 * {@code FILE.PID} when the process exits. Off unless {@code -Dweft.bgp.trace=FILE} is set; then
 * a step costs an atomic increment and four array stores (no allocation), and events beyond
 * {@value #CAPACITY} are dropped. For measurements, not for operators: the file is one line per
 * event, {@code ms-since-first thread event peer count}.
 */
public final class IngestTrace {
    /** The steps traced; the thread each runs on is in the name's comment. */
    public enum Event {
        /** I/O: a connection's TCP handshake is done. */
        TCP_UP,
        /** I/O: the peer's OPEN was read. */
        OPEN_IN,
        /** I/O: the FSM reached Established. */
        ESTABLISHED,
        /** I/O: an UPDATE was decoded (count = prefixes announced + withdrawn). */
        UPDATE_READ,
        /** RIB: the session's peerUp starts / ends (Adj-RIB-Out creation, initial walk). */
        RIB_UP_START, RIB_UP_END,
        /** RIB: one UPDATE's apply starts / ends (count = prefixes). */
        RIB_APPLY_START, RIB_APPLY_END,
        /** RIB: End-of-RIB applied. */
        RIB_EOR,
        /** RIB: changes handed to the FIB pump (count). */
        FIB_SUBMIT,
        /** FIB: the pump took its backlog (count). */
        FIB_TAKE,
        /** FIB: a kernel batch goes out / came back (count). */
        FIB_BATCH_OUT, FIB_BATCH_BACK,
        /** RIB: an outbound drain starts. */
        OUT_DRAIN_START
    }

    private static final int CAPACITY = 1 << 18;
    private static final String FILE = System.getProperty("weft.bgp.trace");
    /** Whether tracing is on; callers test it first so a disabled trace costs one static read. */
    public static final boolean ON = FILE != null && !FILE.isEmpty();
    private static final long[] SLOTS = ON ? new long[CAPACITY * 4] : null;
    private static final AtomicInteger NEXT = new AtomicInteger();

    static {
        if (ON) {
            Runtime.getRuntime().addShutdownHook(new Thread(IngestTrace::dump, "weft-bgp-trace"));
        }
    }

    private IngestTrace() {
    }

    /** Records {@code event} now; {@code peer} is a small number naming the peer (e.g. its address's low 16 bits). */
    public static void record(Event event, int peer, int count) {
        if (!ON) {
            return;
        }
        int i = NEXT.getAndIncrement();
        if (i >= CAPACITY) {
            return;
        }
        int at = i * 4;
        SLOTS[at] = System.nanoTime();
        SLOTS[at + 1] = event.ordinal();
        SLOTS[at + 2] = peer;
        SLOTS[at + 3] = count | ((long) threadTag() << 32);
    }

    /** A peer's number in the trace: the low 16 bits of its address. */
    public static int peer(IpAddress address) {
        return address.isV4() ? address.toV4Int() & 0xffff : address.hashCode() & 0xffff;
    }

    private static int threadTag() {
        String name = Thread.currentThread().getName();
        return name.startsWith("bgp-io") ? 1 : name.startsWith("bgp-rib") ? 2 : name.startsWith("weft-fib") ? 3 : 0;
    }

    private static void dump() {
        int n = Math.min(NEXT.get(), CAPACITY);
        if (n == 0) {
            return;
        }
        String[] threads = {"other", "io", "rib", "fib"};
        Event[] events = Event.values();
        long t0 = SLOTS[0];
        Path out = Path.of(FILE + "." + ProcessHandle.current().pid());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            for (int i = 0; i < n; i++) {
                int at = i * 4;
                long c = SLOTS[at + 3];
                w.printf("%.3f %s %s %d %d%n", (SLOTS[at] - t0) / 1e6, threads[(int) (c >>> 32)],
                        events[(int) SLOTS[at + 1]], SLOTS[at + 2], (int) c);
            }
        } catch (IOException e) {
            System.err.println("weft-bgp: cannot write the ingest trace " + out + ": " + e.getMessage());
        }
    }
}
