package dev.weft.flannel.nodes;

import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.subnet.file.FileKvStore;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.net.IpAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node registrations as other nodes read them: bounded and judged before use (each rejection a
 * clear reason, counted once per write), the first-created of two registrations with one PublicIP
 * used, the own one never handed on, and renewals not seen as changes.
 */
class NodeWatcherTest {
    static final String PREFIX = "/weft/test";
    static final String BGP = "{\"PublicIP\":\"%s\",\"BackendType\":\"bgp\",\"BackendData\":{\"IPv4Address\":\"%s/24\","
            + "\"ASNumber\":64512,\"NodeName\":\"%s\"}}";

    static String bgp(String ip, String name) {
        return String.format(BGP, ip, ip, name);
    }

    private final NodeCodec codec = new NodeCodec(new NodeKeys(PREFIX));

    private NodeCodec.Reason rejection(String key, String value) {
        return assertThrows(NodeCodec.Rejected.class, () -> codec.decode(new KvEntry(key, value, 1, 0, 1))).reason();
    }

    @Test
    void badRegistrationsAreRejectedWithTheirReason() throws Exception {
        String k = PREFIX + "/nodes/n1";
        assertEquals("n1", codec.decode(new KvEntry(k, bgp("192.168.1.2", "n1"), 1, 0, 1)).name());
        assertEquals(NodeCodec.Reason.MALFORMED_KEY, rejection(PREFIX + "/nodes/" + "a".repeat(254), bgp("192.168.1.2", "n1")));
        assertEquals(NodeCodec.Reason.MALFORMED_KEY, rejection(PREFIX + "/nodes/n1/extra", bgp("192.168.1.2", "n1")));
        assertEquals(NodeCodec.Reason.MALFORMED_KEY, rejection(PREFIX + "/nodes/", bgp("192.168.1.2", "n1")));
        assertEquals(NodeCodec.Reason.MALFORMED_VALUE, rejection(k, "{" + " ".repeat(5000) + "}"));
        assertEquals(NodeCodec.Reason.MALFORMED_VALUE, rejection(k, "not json"));
        assertEquals(NodeCodec.Reason.MALFORMED_VALUE, rejection(k, "{\"PublicIP\":\"192.168.1.2\",\"BackendType\":\"" + "x".repeat(40) + "\"}"));
        assertEquals(NodeCodec.Reason.BAD_PUBLIC_IP, rejection(k, bgp("127.0.0.1", "n1")));
        assertEquals(NodeCodec.Reason.BAD_PUBLIC_IP, rejection(k, bgp("224.0.0.5", "n1")));
        assertEquals(NodeCodec.Reason.NAME_MISMATCH, rejection(k, bgp("192.168.1.2", "n2")));
        assertThrows(IllegalArgumentException.class, () -> new NodeKeys(PREFIX).key("bad/name"));
    }

    static String vxlan(String ip, String mac, String tunnel) {
        return "{\"PublicIP\":\"" + ip + "\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\""
                + (tunnel == null ? "" : ",\"TunnelAddr\":\"" + tunnel + "\"") + "}}";
    }

    /** A registration is judged by the lease value checks themselves: PublicIPv6 and the backend's BackendData included. */
    @Test
    void registrationsGetTheLeaseValueChecks() throws Exception {
        String k = PREFIX + "/nodes/n1";
        assertEquals("10.244.0.9", codec.decode(new KvEntry(k, vxlan("192.168.1.2", "0a:00:00:00:00:01", "10.244.0.9"), 1, 0, 1))
                .attrs().backendData().get("TunnelAddr").asText());
        assertEquals(NodeCodec.Reason.BAD_PUBLIC_IP, rejection(k, "{\"PublicIP\":\"192.168.1.2\",\"PublicIPv6\":\"ff02::1\","
                + "\"BackendType\":\"host-gw\"}"));
        assertEquals(NodeCodec.Reason.BAD_BACKEND_DATA, rejection(k, vxlan("192.168.1.2", "01:00:5e:00:00:01", null)));
        assertEquals(NodeCodec.Reason.BAD_BACKEND_DATA, rejection(k, vxlan("192.168.1.2", "0a:00:00:00:00:01", "10.244.0")));
        assertEquals(NodeCodec.Reason.BAD_BACKEND_DATA, rejection(k, vxlan("192.168.1.2", "0a:00:00:00:00:01", "fd00::1")));
        assertEquals(NodeCodec.Reason.BAD_BACKEND_DATA, rejection(k, vxlan("192.168.1.2", "0a:00:00:00:00:01", "127.0.0.1")));
    }

    @Test
    void theWatcherHandsOnUsableOtherNodesAndCountsTheRest(@TempDir Path dir) throws Exception {
        try (FileKvStore store = FileKvStore.open(dir.resolve("store.json"))) {
            NodeKeys keys = new NodeKeys(PREFIX);
            store.put(keys.key("self"), bgp("192.168.1.1", "self"), Duration.ofHours(1));
            store.put(keys.key("n2"), bgp("192.168.1.2", "n2"), Duration.ofHours(1));
            store.put(keys.key("late"), bgp("192.168.1.2", "late"), Duration.ofHours(1)); // n2's PublicIP, created later
            store.put(keys.key("n3"), bgp("127.0.0.1", "n3"), Duration.ofHours(1));
            LinkedBlockingQueue<LeaseEvent> events = new LinkedBlockingQueue<>();
            try (NodeWatcher w = NodeWatcher.start(store, PREFIX, "self", events::add)) {
                LeaseEvent.Snapshot first = (LeaseEvent.Snapshot) events.poll(10, TimeUnit.SECONDS);
                assertNotNull(first);
                assertEquals(List.of(IpAddress.parse("192.168.1.2")), first.leases().stream().map(l -> l.attrs().publicIp()).toList());
                assertEquals(List.of("n2"), List.copyOf(w.nodes().keySet()));
                assertEquals(1, w.rejected(NodeCodec.Reason.DUPLICATE_PUBLIC_IP));
                assertEquals(1, w.rejected(NodeCodec.Reason.BAD_PUBLIC_IP));

                // a new node is a change; its renewal (the same value written again) is not
                store.put(keys.key("n4"), bgp("192.168.1.4", "n4"), Duration.ofHours(1));
                LeaseEvent.Snapshot next = (LeaseEvent.Snapshot) events.poll(10, TimeUnit.SECONDS);
                assertNotNull(next);
                assertEquals(List.of("192.168.1.4"), next.added().stream().map(l -> l.attrs().publicIp().toString()).toList());
                assertEquals(2, next.leases().size());
                assertEquals(1, w.rejected(NodeCodec.Reason.DUPLICATE_PUBLIC_IP), "each write counted once");
                store.put(keys.key("n4"), bgp("192.168.1.4", "n4"), Duration.ofHours(1));
                assertEquals(null, events.poll(300, TimeUnit.MILLISECONDS), "a renewal is no change");

                store.delete(keys.key("n2")); // "late" now holds the address alone
                LeaseEvent.Snapshot after = (LeaseEvent.Snapshot) events.poll(10, TimeUnit.SECONDS);
                assertNotNull(after);
                assertEquals(List.of("late", "n4"), List.copyOf(w.nodes().keySet()));
                assertTrue(events.isEmpty());
            }
        }
    }

    @Test
    void registrationWritesTheLeaseAttrsUnderTheNodeKey(@TempDir Path dir) throws Exception {
        try (FileKvStore store = FileKvStore.open(dir.resolve("store.json"))) {
            LeaseAttrs attrs = LeaseAttrs.fromJson(bgp("192.168.1.7", "n7"));
            try (NodeRegistration r = NodeRegistration.register(store, PREFIX, "n7", attrs, Duration.ofSeconds(3),
                    Duration.ofMillis(2500), Duration.ofMillis(100))) {
                assertEquals(attrs.toJson(), store.get(PREFIX + "/nodes/n7").orElseThrow().value());
                store.delete(PREFIX + "/nodes/n7"); // gone (deleted by hand, expired in an outage): written again
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (store.get(PREFIX + "/nodes/n7").isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(attrs.toJson(), store.get(PREFIX + "/nodes/n7").orElseThrow().value());
            }
        }
    }
}
