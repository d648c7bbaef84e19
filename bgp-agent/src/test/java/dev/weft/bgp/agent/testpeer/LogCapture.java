package dev.weft.bgp.agent.testpeer;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Tees {@code System.err} (where slf4j-simple writes the in-process agent's log) into a buffer, so a
 * test can count the lines an event produced. Restores the stream on close.
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    private LogCapture() {
    }

    public static LogCapture start() {
        LogCapture c = new LogCapture();
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                c.original.write(b);
                synchronized (c.buffer) {
                    c.buffer.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                c.original.write(b, off, len);
                synchronized (c.buffer) {
                    c.buffer.write(b, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
        return c;
    }

    /** Lines logged since the last {@link #clear} that contain every one of {@code parts}. */
    public long count(String... parts) {
        String all;
        synchronized (buffer) {
            all = buffer.toString(StandardCharsets.UTF_8);
        }
        return all.lines().filter(l -> {
            for (String p : parts) {
                if (!l.contains(p)) {
                    return false;
                }
            }
            return true;
        }).count();
    }

    public String text() {
        synchronized (buffer) {
            return buffer.toString(StandardCharsets.UTF_8);
        }
    }

    public void clear() {
        synchronized (buffer) {
            buffer.reset();
        }
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
