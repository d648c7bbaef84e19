package dev.weft.ipc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The libc Unix stream client against the JDK's own Unix socket server (an independent implementation). */
class UnixStreamTest {
    @Test
    void echoesMoreThanOneChunkBothWays(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("s.sock");
        byte[] payload = new byte[50_000]; // several of the client's 8 KiB chunks
        new Random(7).nextBytes(payload);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread echo = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(payload.length);
                    while (b.hasRemaining() && c.read(b) >= 0) {
                        // until the whole payload is in
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            echo.start();
            try (UnixStream s = UnixStream.connect(sock, Duration.ofSeconds(10))) {
                s.out().write(payload);
                byte[] back = s.in().readNBytes(payload.length);
                assertArrayEquals(payload, back);
                assertEquals(-1, s.in().read(), "the server closed: end of stream");
            }
            echo.join(10_000);
        }
    }

    @Test
    void noSocketIsNoSuchFileAndNobodyListeningIsConnectException(@TempDir Path dir) throws Exception {
        assertThrows(NoSuchFileException.class, () -> UnixStream.connect(dir.resolve("absent.sock"), Duration.ofSeconds(1)));
        Path sock = dir.resolve("closed.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
        }
        assertTrue(Files.exists(sock), "the closed server's socket file stays");
        assertThrows(ConnectException.class, () -> UnixStream.connect(sock, Duration.ofSeconds(1)));
    }

    @Test
    void aServerThatNeverAnswersTimesOut(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("mute.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            try (UnixStream s = UnixStream.connect(sock, Duration.ofMillis(300))) {
                long t0 = System.nanoTime();
                assertThrows(SocketTimeoutException.class, () -> s.in().read(new byte[4]));
                assertTrue(System.nanoTime() - t0 >= 250_000_000L, "waited for the timeout");
            }
        }
    }

    @Test
    void pathsTheKernelCannotTakeAreRefusedBeforeAnySocket(@TempDir Path dir) {
        char[] longName = new char[120];
        Arrays.fill(longName, 'x');
        IOException e = assertThrows(IOException.class, () -> UnixStream.connect(dir.resolve(new String(longName)), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("bytes"), e.getMessage());
    }
}
