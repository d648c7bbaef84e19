package dev.weft.flannel.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.net.Cidr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * etcd stopped: ADDs are served from the reserve and journaled, an ADD beyond it is code 11, a DEL
 * is journaled; etcd back: the journal is replayed and etcd holds exactly the pods' addresses.
 */
class BlockIpamOutageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static IpamEtcd fx;

    @BeforeAll
    static void etcd() {
        fx = new IpamEtcd();
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static IpamRequest.Allocate add(String id) {
        return new IpamRequest.Allocate("net." + id, id, "eth0", "default", "pod-" + id, List.of());
    }

    @Test
    void reservedAddressesCarryPodsThroughAnOutageAndTheJournalIsReplayed(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        try (BlockIpam ipam = fx.start(p, IpamEtcd.pool("10.41.0.0/24"), "node-a", dir, 3)) {
            IpamClient c = new IpamClient(ipam.socket());
            Cidr before = c.call(add("before")).ips().get(0);
            Cidr gone = c.call(add("gone")).ips().get(0);
            TreeMap<String, String> reserve = fx.holders(p);
            reserve.values().removeIf(h -> !h.startsWith("weftd-reserve."));
            assertEquals(3, reserve.size(), "the reserve is allocated in etcd: " + reserve);

            fx.etcd.kill();
            Map<String, Cidr> offline = new TreeMap<>();
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                IpamResponse r = c.call(add("off" + i));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                // The first one waits for the etcd request to time out (1 s here); later ones do not
                // wait for etcd at all, nor for the background probe of it.
                assertTrue(i == 0 ? ms < 3_000 : ms < 500, "offline ADD " + i + " took " + ms + " ms");
                assertTrue(r.isOk(), r.toString());
                offline.put("net.off" + i, r.ips().get(0));
                assertTrue(reserve.containsKey(r.ips().get(0).toString()), r.ips() + " comes from the reserve " + reserve);
            }
            assertEquals(offline.get("net.off1"), c.call(add("off1")).ips().get(0), "a repeated ADD offline: same address");
            IpamResponse refused = c.call(add("too-many"));
            assertEquals(CniErrorCodes.TRY_AGAIN_LATER, refused.code(), refused.toString());
            assertTrue(refused.msg().contains("no reserved ipv4 address left"), refused.msg());
            assertTrue(c.call(new IpamRequest.Release("net.gone")).isOk(), "a DEL offline is journaled");
            assertTrue(c.call(new IpamRequest.Release("net.off2")).isOk(), "so is the DEL of a pod started offline");
            assertEquals(CniErrorCodes.TRY_AGAIN_LATER, c.call(new IpamRequest.Gc("net", java.util.Set.of())).code(),
                    "GC waits for etcd");
            assertEquals(CniErrorCodes.NOT_AVAILABLE_LIMITED_CONNECTIVITY, c.call(new IpamRequest.Status()).code());

            JsonNode journal = JSON.readTree(Files.readString(dir.resolve("lib/ipam-journal")));
            assertEquals(5, journal.get("pending").size(), "3 hand-overs and 2 releases journaled: " + journal);
            assertEquals("-rw-------", "-" + java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("lib/ipam-journal"))));

            fx.etcd.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            IpamResponse st;
            do {
                Thread.sleep(200);
                st = c.call(new IpamRequest.Status());
            } while (!(st.isOk() && st.info().equals("etcd reachable, 3 ipv4 in reserve, 0 journaled"))
                    && System.nanoTime() < deadline);
            assertEquals("etcd reachable, 3 ipv4 in reserve, 0 journaled", st.info());

            TreeMap<String, String> held = fx.holders(p);
            assertEquals("net.before", held.get(before.toString()));
            assertEquals("net.off0", held.get(offline.get("net.off0").toString()), "hand-over replayed: " + held);
            assertEquals("net.off1", held.get(offline.get("net.off1").toString()));
            assertFalse(held.containsKey(gone.toString()), "the offline DEL released " + gone);
            assertFalse(held.containsKey(offline.get("net.off2").toString()), "a pod started and deleted offline holds nothing");
            assertFalse(fx.hasHandle(p, "net.gone"));
            assertFalse(fx.hasHandle(p, "net.off2"));
            assertTrue(fx.hasHandle(p, "net.off0"));
            List<String> pods = new ArrayList<>();
            List<String> reserved = new ArrayList<>();
            for (String h : held.values()) {
                (h.startsWith("weftd-reserve.") ? reserved : pods).add(h);
            }
            assertEquals(List.of("net.before", "net.off0", "net.off1"), pods.stream().sorted().toList(), "etcd agrees with the pods");
            assertEquals(3, reserved.size(), "the reserve is full again: " + held);
            assertEquals(reserved.size(), new HashSet<>(reserved).size(), "one address per reservation handle");
            for (String r : reserve.values()) {
                if (held.containsValue(r)) {
                    assertFalse(offline.values().stream().anyMatch(a -> r.equals(held.get(a.toString()))));
                }
            }
            assertEquals(0, JSON.readTree(Files.readString(dir.resolve("lib/ipam-journal"))).get("pending").size());

            IpamResponse after = c.call(add("after"));
            assertTrue(after.isOk(), after.toString());
            assertFalse(held.containsKey(after.ips().get(0).toString()), "a fresh address, no duplicate");
        }
    }

    @Test
    void aJournalWrittenOfflineIsReplayedByTheNextWeftd(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        Cidr off;
        try (BlockIpam ipam = fx.start(p, IpamEtcd.pool("10.41.1.0/24"), "node-b", dir, 1)) {
            IpamClient c = new IpamClient(ipam.socket());
            fx.etcd.kill();
            off = c.call(add("off")).ips().get(0);
            IpamResponse none = c.call(add("none"));
            assertEquals(CniErrorCodes.TRY_AGAIN_LATER, none.code(), none.toString());
        } finally {
            fx.etcd.start();
        }
        // weftd stopped while offline; the next one starts with etcd back.
        BlockIpam next = null;
        for (int i = 0; i < 20 && next == null; i++) {
            try {
                next = fx.start(p, IpamEtcd.pool("10.41.1.0/24"), "node-b", dir, 1);
            } catch (IpamException e) {
                assertEquals(CniErrorCodes.TRY_AGAIN_LATER, e.code()); // the client reconnecting
            }
        }
        try (BlockIpam ipam = next) {
            assertNotEquals(null, ipam);
            assertEquals("net.off", fx.holders(p).get(off.toString()), "replayed at start");
            assertEquals(List.of(off), new IpamClient(ipam.socket()).call(new IpamRequest.Check("net.off")).ips());
            assertEquals(0, JSON.readTree(Files.readString(dir.resolve("lib/ipam-journal"))).get("pending").size());
        }
    }
}
