package dev.weft.cni.thick;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shim's part of the installer's class-data training run: one forwarded invocation against a
 * stand-in for weftd in a temporary directory (answered, never printed), so that the archive
 * holds the classes of the forwarded path (the libc binding on jffi above all). The plugin's
 * own training (a real ADD and DEL in throwaway namespaces) follows in the same JVM, for the path
 * where weftd does not serve.
 */
final class ShimTraining {
    private ShimTraining() {
    }

    static void run(String plugin) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("wt-shim-cds");
            Path sock = dir.resolve("cni.sock");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(sock));
                Thread stand = new Thread(() -> answerOnce(server), "weft-shim-cds");
                stand.setDaemon(true);
                stand.start();
                byte[] frame = ThickWire.encode(new ThickWire.Request(ThickWire.VERSION, plugin, NsId.of("/proc/self/ns/net"),
                        NsId.of("/proc/self/ns/net"), new java.util.TreeMap<>(java.util.Map.of("CNI_COMMAND", "ADD")),
                        "{}".getBytes(StandardCharsets.UTF_8)));
                ThickWire.Answer a = Shim.call(sock, frame);
                if (!a.served()) {
                    System.err.println("weft: shim training: " + a.decline());
                }
                stand.join(10_000);
            }
        } catch (IOException | Shim.Stuck | RuntimeException e) {
            System.err.println("weft: shim training failed (the archive then lacks the socket's classes): " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (dir != null) {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // a temporary directory left behind
                }
            }
        }
    }

    private static void answerOnce(ServerSocketChannel server) {
        try (SocketChannel c = server.accept()) {
            ByteBuffer len = ByteBuffer.allocate(4);
            while (len.hasRemaining() && c.read(len) >= 0) {
                // the length
            }
            ByteBuffer body = ByteBuffer.allocate(len.getInt(0));
            while (body.hasRemaining() && c.read(body) >= 0) {
                // the request
            }
            byte[] a = ThickWire.encode(ThickWire.Answer.served(0, "{}\n".getBytes(StandardCharsets.UTF_8), new byte[0]));
            ByteBuffer out = ByteBuffer.allocate(4 + a.length).putInt(a.length).put(a).flip();
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException e) {
            // the shim's side reports it
        }
    }
}
