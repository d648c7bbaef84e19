package dev.weft.flannel.ipam;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamFrame;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** weftd's CNI socket against a real etcd: round trips, hostile requests, and the socket file's life. */
class CniSocketServerTest {
    @RegisterExtension
    static final IpamEtcd fx = new IpamEtcd();

    private static IpamRequest.Allocate add(String handle) {
        return new IpamRequest.Allocate(handle, handle.substring(handle.indexOf('.') + 1), "eth0", "default", "pod-" + handle,
                List.of());
    }

    @Test
    void allocateReleaseAndGcRoundTrips(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        try (BlockIpam ipam = fx.start(p, IpamEtcd.pool("10.40.0.0/24"), "node-a", dir, 2)) {
            IpamClient c = new IpamClient(ipam.socket());
            IpamResponse r = c.call(add("net.c1"));
            assertTrue(r.isOk(), r.toString());
            assertEquals(1, r.ips().size());
            Cidr a1 = r.ips().get(0);
            assertEquals(32, a1.prefixLength(), "a host prefix, as Calico's IPAM gives pods");
            assertEquals("host:node-a", fx.affinityOf(p, a1), a1 + " comes from a block of this node");
            assertEquals("net.c1", fx.holders(p).get(a1.toString()), "etcd records the pod's handle");
            assertEquals(List.of(a1), c.call(add("net.c1")).ips(), "a repeated ADD gets the same address");
            assertEquals(List.of(a1), c.call(new IpamRequest.Check("net.c1")).ips());

            assertTrue(c.call(new IpamRequest.Release("net.c1")).isOk());
            assertFalse(fx.hasHandle(p, "net.c1"));
            assertFalse(fx.holders(p).containsKey(a1.toString()));
            assertTrue(c.call(new IpamRequest.Release("net.c1")).isOk(), "a repeated DEL succeeds");
            assertEquals(CniErrorCodes.INTERNAL, c.call(new IpamRequest.Check("net.c1")).code());

            Cidr a2 = c.call(add("net.c2")).ips().get(0);
            Cidr a3 = c.call(add("net.c3")).ips().get(0);
            Cidr other = c.call(add("other.c4")).ips().get(0);
            IpamResponse gc = c.call(new IpamRequest.Gc("net", Set.of("net.c2")));
            assertEquals("released 1", gc.info());
            TreeMap<String, String> held = fx.holders(p);
            assertEquals("net.c2", held.get(a2.toString()));
            assertFalse(held.containsKey(a3.toString()), "GC released the attachment that is not valid");
            assertEquals("other.c4", held.get(other.toString()), "another network's handles are not GC'd by this one");
            assertEquals(2, held.values().stream().filter(h -> h.startsWith("weftd-reserve.node-a.")).count(),
                    "the reserve is untouched by GC: " + held);
            assertTrue(c.call(new IpamRequest.Status()).info().startsWith("etcd reachable, 2 ipv4 in reserve"));
        }
    }

    @Test
    void manyClientsAtOnceGetDistinctAddresses(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        try (BlockIpam ipam = fx.start(p, IpamEtcd.pool("10.40.2.0/23"), "node-c", dir, 2)) {
            int threads = 8;
            int each = 25;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            List<java.util.concurrent.Future<List<Cidr>>> got = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                got.add(pool.submit(() -> {
                    List<Cidr> mine = new java.util.ArrayList<>();
                    IpamClient c = new IpamClient(ipam.socket());
                    for (int i = 0; i < each; i++) {
                        IpamResponse r = c.call(add("net.t" + tt + "-" + i));
                        assertTrue(r.isOk(), r.toString());
                        mine.add(r.ips().get(0));
                    }
                    return mine;
                }));
            }
            Set<Cidr> all = new java.util.HashSet<>();
            for (var f : got) {
                all.addAll(f.get());
            }
            pool.shutdown();
            assertEquals(threads * each, all.size(), "no address handed out twice");
            TreeMap<String, String> held = fx.holders(p);
            for (Cidr a : all) {
                assertTrue(held.get(a.toString()).startsWith("net.t"), a + " is a pod's in etcd: " + held.get(a.toString()));
            }
            assertEquals(threads * each + 2, held.size(), "the pods and the reserve, nothing else");
        }
    }

    @Test
    void badRequestsAreRefusedAndChangeNothing(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        try (BlockIpam ipam = fx.start(p, IpamEtcd.pool("10.40.1.0/24"), "node-b", dir, 1)) {
            new IpamClient(ipam.socket()).call(add("net.keep"));
            String before = fx.dump(p);

            assertRefused(ipam.socket(), frame("{not json".getBytes(StandardCharsets.UTF_8)), CniErrorCodes.DECODE_FAILURE,
                    "not valid JSON");
            assertRefused(ipam.socket(), frame("[1,2]".getBytes(StandardCharsets.UTF_8)), CniErrorCodes.DECODE_FAILURE,
                    "not a JSON object");
            assertRefused(ipam.socket(), frame("{\"op\":\"format-disk\"}".getBytes(StandardCharsets.UTF_8)),
                    CniErrorCodes.INVALID_CONFIG, "unknown op");
            assertRefused(ipam.socket(), frame("{\"op\":\"allocate\",\"containerID\":\"x\",\"ifName\":\"eth0\"}"
                    .getBytes(StandardCharsets.UTF_8)), CniErrorCodes.INVALID_CONFIG, "no \"handle\"");
            IpamResponse own = new IpamClient(ipam.socket()).call(new IpamRequest.Release("weftd-reserve.node-b.0"));
            assertEquals(CniErrorCodes.INVALID_CONFIG, own.code(), "a pod's DEL never releases the reserve: " + own);
            // Too long: only the length is sent; weftd answers without waiting for (or reading) a body.
            ByteBuffer huge = ByteBuffer.allocate(4).putInt(IpamFrame.MAX_BYTES + 1).flip();
            assertRefused(ipam.socket(), huge.array(), CniErrorCodes.DECODE_FAILURE, "longer than the limit");
            ByteBuffer negative = ByteBuffer.allocate(4).putInt(-1).flip();
            assertRefused(ipam.socket(), negative.array(), CniErrorCodes.DECODE_FAILURE, "longer than the limit");

            assertEquals(before, fx.dump(p), "nothing changed in etcd");
            assertTrue(new IpamClient(ipam.socket()).call(new IpamRequest.Status()).isOk(), "still serving");
        }
    }

    private static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    /** Sends {@code bytes}, expects one error answer with {@code code}, then the connection closed. */
    private static void assertRefused(Path socket, byte[] bytes, int code, String msgPart) throws IOException, IpamException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(ch);
            InputStream in = Channels.newInputStream(ch);
            out.write(bytes);
            out.flush();
            IpamResponse r = IpamResponse.parse(IpamFrame.read(in));
            assertEquals(code, r.code(), r.toString());
            assertTrue(r.msg().contains(msgPart), r.msg());
            assertNull(IpamFrame.read(in), "the connection is closed after a bad request");
        }
    }

    /**
     * weftd's graceful stop: once draining, a new request (a new connection, or the next request on
     * an open one) is refused with code 11 and says weftd is stopping, while the one in the handler
     * finishes with its answer; the drain returns when it has.
     */
    @Test
    void drainRefusesNewRequestsAndLetsTheOneInFlightFinish(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("cni.sock");
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (CniSocketServer s = CniSocketServer.start(sock, r -> {
            if (!(r instanceof IpamRequest.Allocate)) {
                return IpamResponse.ok(List.of(), "serving");
            }
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted in flight", e);
            }
            return IpamResponse.ok(List.of(Cidr.parse("10.40.0.5/32")), null);
        })) {
            java.util.concurrent.CompletableFuture<IpamResponse> inFlight = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new IpamClient(sock).call(add("net.a"));
                } catch (IpamException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(entered.await(30, java.util.concurrent.TimeUnit.SECONDS));
            IpamException stopping = new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "weftd is stopping; try again once it is back");
            java.util.concurrent.CompletableFuture<Integer> drained = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return s.drain(stopping, java.time.Duration.ofSeconds(30));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            IpamResponse refused = null;
            for (int i = 0; i < 100 && (refused == null || refused.isOk()); i++) {
                refused = new IpamClient(sock).call(new IpamRequest.Status()); // ok until the drain has begun
                Thread.sleep(refused.isOk() ? 20 : 0);
            }
            assertEquals(CniErrorCodes.TRY_AGAIN_LATER, refused.code(), refused.toString());
            assertEquals("weftd is stopping; try again once it is back", refused.msg());
            assertFalse(drained.isDone(), "the drain waits for the request in flight");
            release.countDown();
            assertEquals(List.of(Cidr.parse("10.40.0.5/32")), inFlight.get(30, java.util.concurrent.TimeUnit.SECONDS).ips(),
                    "the request in flight got its answer");
            assertEquals(1, drained.get(30, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    /**
     * A thick invocation's caller as the handler sees it: one still connected is not gone and gets
     * the answer, after which the connection ends (a shim sends one request); one that closed while
     * the handler worked (a shim the runtime killed) is gone, and the answer cannot be written.
     */
    @Test
    void aThickCallerThatClosesIsSeenGone(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("cni.sock");
        java.util.concurrent.BlockingQueue<java.util.concurrent.CountDownLatch> entered = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        CniSocketServer.ExecHandler exec = new CniSocketServer.ExecHandler() {
            @Override
            public void serve(com.fasterxml.jackson.databind.JsonNode request, dev.weft.cni.thick.Caller caller) {
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                entered.add(go);
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                boolean gone = caller.gone();
                seen.add("gone=" + gone + " answered=" + caller.answer("{\"v\":1,\"exit\":0}".getBytes(StandardCharsets.UTF_8)));
            }

            @Override
            public byte[] refuseWhileStopping(com.fasterxml.jackson.databind.JsonNode request, String why) {
                throw new AssertionError(why);
            }
        };
        byte[] req = frame("{\"op\":\"cni\"}".getBytes(StandardCharsets.UTF_8));
        try (CniSocketServer s = CniSocketServer.start(sock, r -> IpamResponse.ok(List.of(), "x"), exec)) {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                Channels.newOutputStream(ch).write(req);
                entered.poll(30, java.util.concurrent.TimeUnit.SECONDS).countDown();
                assertEquals("gone=false answered=true", seen.poll(30, java.util.concurrent.TimeUnit.SECONDS));
                InputStream in = Channels.newInputStream(ch);
                assertEquals("{\"v\":1,\"exit\":0}", new String(IpamFrame.read(in), StandardCharsets.UTF_8));
                assertNull(IpamFrame.read(in), "the connection ends after a thick request's answer");
            }
            java.util.concurrent.CountDownLatch go;
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                Channels.newOutputStream(ch).write(req);
                go = entered.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            } // closed while the handler works
            go.countDown();
            assertEquals("gone=true answered=false", seen.poll(30, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void theSocketIsRootOnlyAndNeverTakenFromALiveWeftd(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("run/weft/cni.sock");
        try (CniSocketServer s = CniSocketServer.start(sock, r -> IpamResponse.ok(List.of(), "fake"))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock.getParent())));
            IOException e = assertThrows(IOException.class, () -> CniSocketServer.start(sock, r -> null));
            assertTrue(e.getMessage().contains("another weftd is serving"), e.getMessage());
            assertEquals("fake", new IpamClient(sock).call(new IpamRequest.Status()).info(), "the first one still serves");
        }
        assertFalse(Files.exists(sock), "removed on close");

        // A dead weftd's socket file (bound, never unlinked) is replaced.
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(sock));
        dead.close();
        assertTrue(Files.exists(sock));
        try (CniSocketServer s = CniSocketServer.start(sock, r -> IpamResponse.ok(List.of(), "new"))) {
            assertEquals("new", new IpamClient(sock).call(new IpamRequest.Status()).info());
        }

        // Anything else at the path is left alone.
        Files.writeString(sock, "not a socket");
        IOException e = assertThrows(IOException.class, () -> CniSocketServer.start(sock, r -> null));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("not a socket", Files.readString(sock));

        IpamException gone = assertThrows(IpamException.class, () -> new IpamClient(dir.resolve("none.sock"))
                .call(new IpamRequest.Status()));
        assertEquals(CniErrorCodes.TRY_AGAIN_LATER, gone.code());
        assertTrue(gone.msg().startsWith("weftd is not running"), gone.msg());
    }
}
