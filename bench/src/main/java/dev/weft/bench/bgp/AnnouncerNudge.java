package dev.weft.bench.bgp;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wakes the announcer BIRDs' main loops every {@value #PERIOD_MS} ms with a {@code show status}
 * on their control sockets, so that the bench measures the target and not a stall of the
 * announcer's.
 *
 * <p>Why: BIRD 2.0.12 often leaves the last UPDATE of its initial feed (the remainder after the
 * full 4 KB ones, here 16 or 17 prefixes) and its End-of-RIB unsent until its event loop next
 * wakes up for something else: a packet from the target, a timer of its own (the keepalive, ~1 s
 * with a 3 s hold time) or its 3 s poll timeout. Captured on the bench's bridge (tcpdump): an
 * announcer sent 39 UPDATEs in 20 ms, the target had acknowledged all of them, and the 40th
 * followed 0.7-0.9 s later, right after the announcer's own keepalive timer fired (weft target)
 * or 14 ms after the target's End-of-RIB reached it (BIRD target, 1.8 s later). How long the
 * stall lasts depends on when the target happens to send something, not on how fast it ingests:
 * weft sends its End-of-RIB at once (it has nothing to export), so its stall always ran to the
 * announcer's keepalive; a BIRD target sends its End-of-RIB after walking its table for each
 * peer, which ended the stall anywhere from at once to after ~3 s (the anchor's bimodal 1 s / 3.2
 * s rounds). Any activity on the control socket wakes the loop just as well, and costs the
 * announcer far less than its route feed (its CPU is printed per trial). Off with --no-nudge.
 */
final class AnnouncerNudge implements AutoCloseable {
    static final long PERIOD_MS = 10;
    private static final byte[] COMMAND = "show status\n".getBytes(StandardCharsets.US_ASCII);

    private final List<SocketChannel> sockets = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closed;

    AnnouncerNudge() {
        thread = new Thread(this::run, "announcer-nudge");
        thread.setDaemon(true);
        thread.start();
    }

    /** Nudges the BIRD behind {@code controlSocket} from now on. */
    void add(Path controlSocket) {
        try {
            SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(controlSocket));
            ch.configureBlocking(false);
            sockets.add(ch);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open " + controlSocket + ": " + e.getMessage(), e);
        }
    }

    private void run() {
        ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
        ByteBuffer command = ByteBuffer.wrap(COMMAND);
        while (!closed) {
            for (SocketChannel ch : sockets) {
                try {
                    while (ch.read(sink.clear()) > 0) {
                        // discard BIRD's answers so its output never backs up
                    }
                    ch.write(command.rewind());
                } catch (IOException e) {
                    sockets.remove(ch); // the announcer is gone (killed at the end of a trial)
                }
            }
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SocketChannel ch : sockets) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
