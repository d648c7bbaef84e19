package dev.weft.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@KernelTest
class EtcdServerTest {

    @Test
    void putGetStopStartClose() throws Exception {
        Path dir;
        Process first;
        EtcdServer etcd = EtcdServer.launch();
        try {
            dir = etcd.baseDir();
            first = etcd.process().orElseThrow();
            assertTrue(etcd.endpoint().matches("http://127\\.0\\.0\\.1:\\d+"), etcd.endpoint());
            assertTrue(Files.isDirectory(etcd.dataDir()));

            etcd.etcdctl("put", "/wt/k1", "value one");
            assertEquals("/wt/k1\nvalue one\n", etcd.etcdctl("get", "/wt/k1"));
            assertEquals(Optional.of("value one"), etcd.get("/wt/k1"));
            assertEquals(Optional.empty(), etcd.get("/wt/missing"));
            etcd.put("/wt/k2", "{\"Network\":\"10.5.0.0/16\"}");
            assertEquals(Optional.of("{\"Network\":\"10.5.0.0/16\"}"), etcd.get("/wt/k2"));

            int port = etcd.clientPort();
            etcd.stop();
            assertFalse(etcd.isRunning());
            assertFalse(first.isAlive());
            Cmd.Result down = etcd.tryEtcdctl("get", "/wt/k1");
            assertFalse(down.ok(), "client call against a stopped etcd must fail: " + down.stdout());
            assertThrows(CmdException.class, () -> etcd.etcdctl("get", "/wt/k1"));

            etcd.start();
            assertTrue(etcd.isRunning());
            assertEquals(port, etcd.clientPort());
            assertNotEquals(first.pid(), etcd.pid());
            assertEquals(Optional.of("value one"), etcd.get("/wt/k1"), "data survives a restart");
            assertFalse(Files.readString(etcd.logFile()).isEmpty(), "etcd output goes to its log file");

            etcd.kill();
            etcd.start();
            assertEquals(Optional.of("value one"), etcd.get("/wt/k1"), "data survives a crash");
        } finally {
            Process last = etcd.process().orElse(null);
            etcd.close();
            if (last != null) {
                assertFalse(last.isAlive());
                assertFalse(ProcessHandle.of(last.pid()).map(ProcessHandle::isAlive).orElse(false));
            }
        }
        assertFalse(first.isAlive());
        assertFalse(Files.exists(dir), "temp dir deleted: " + dir);
        assertThrows(IllegalStateException.class, etcd::start);
    }

    @Test
    void runsInsideAnUnderlayNodeAndIsReachableFromAnother(Underlay ul) {
        Underlay.Node a = ul.addNode("a");
        Underlay.Node b = ul.addNode("b");
        try (EtcdServer etcd = EtcdServer.builder().on(a).launch()) {
            assertTrue(etcd.endpoint().startsWith("http://" + a.address() + ":"), etcd.endpoint());
            etcd.put("/wt/from-a", "hello");
            Cmd.Result r = b.exec("etcdctl", "--endpoints=" + etcd.endpoint(), "--dial-timeout=2s",
                    "get", "--print-value-only", "/wt/from-a");
            assertEquals("hello\n", r.stdout());
            // not reachable from the root namespace: it only listens inside node a
            assertFalse(Cmd.tryRun("etcdctl", "--endpoints=" + etcd.endpoint(), "--dial-timeout=1s",
                    "--command-timeout=1s", "get", "/wt/from-a").ok());
        }
    }

    @Test
    void injectedServer(EtcdServer etcd) {
        etcd.put("a", "b");
        assertEquals(Optional.of("b"), etcd.get("a"));
    }

    @Test
    void startFailureIsLoudAndIncludesTheLog() {
        try (EtcdServer good = EtcdServer.launch()) {
            // same ports again: the second etcd cannot bind and must fail with its log in the message
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EtcdServer.builder().ports(good.clientPort(), good.peerPort()).launch());
            assertTrue(e.getMessage().contains("etcd log tail"), e.getMessage());
            assertTrue(e.getMessage().contains("address already in use"), e.getMessage());
        }
    }
}
