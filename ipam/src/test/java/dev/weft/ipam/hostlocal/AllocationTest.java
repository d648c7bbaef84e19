package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADD order and failure modes of our allocator alone (cross-checks with the reference are elsewhere). */
class AllocationTest {
    @TempDir
    Path dataDir;

    private final List<String> logged = new ArrayList<>();
    private final HostLocalAllocator alloc = new HostLocalAllocator(logged::add);

    private String add(JsonNode cfg, String id) throws IpamException {
        List<Allocation> a = alloc.allocate(Configs.request(cfg, id));
        assertEquals(1, a.size());
        return a.get(0).address().address().toString();
    }

    private List<String> addAll(JsonNode cfg, String idPrefix, int n) throws IpamException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(add(cfg, idPrefix + i));
        }
        return out;
    }

    private Path net(String name) {
        return dataDir.resolve(name);
    }

    @Test
    void firstAddressSkipsNetworkAndGatewayAndRecordsLastReserved() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        List<Allocation> a = alloc.allocate(Configs.request(cfg, "c1"));
        assertEquals(List.of(new Allocation(Cidr.parse("10.1.0.2/24"), IpAddress.parse("10.1.0.1"), 0)), a);
        assertEquals("c1\r\neth0", StoreTree.read(net("n").resolve("10.1.0.2")));
        assertEquals("10.1.0.2", StoreTree.read(net("n").resolve("last_reserved_ip.0")));
    }

    @Test
    void neverNetworkBroadcastOrGatewayInV4() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/29");
        assertEquals(List.of("10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"), addAll(cfg, "c", 5));
        IpamException e = assertThrows(IpamException.class, () -> add(cfg, "c5"));
        assertEquals("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.1-10.1.0.6", e.msg());
        assertEquals(IpamException.INTERNAL, e.code());
    }

    @Test
    void ipv6KeepsTheLastAddressAndNamesFilesCanonically() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "2001:DB8:0::/125");
        assertEquals(List.of("2001:db8::2", "2001:db8::3", "2001:db8::4", "2001:db8::5", "2001:db8::6",
                "2001:db8::7"), addAll(cfg, "c", 6));
        assertTrue(Files.exists(net("n").resolve("2001:db8::7")));
        assertEquals("2001:db8::7", StoreTree.read(net("n").resolve("last_reserved_ip.0")));
    }

    @Test
    void roundRobinContinuesAfterLastReservedAndDoesNotReuseAReleasedAddressEarly() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        assertEquals(List.of("10.1.0.2", "10.1.0.3"), addAll(cfg, "a", 2));
        alloc.release(Configs.request(cfg, "a0"));
        assertEquals("10.1.0.4", add(cfg, "b"), "the freed .2 must wait for the wrap");

        StoreTree.write(net("n").resolve("last_reserved_ip.0"), "10.1.0.100");
        assertEquals("10.1.0.101", add(cfg, "c"));
    }

    @Test
    void wrapsToTheStartAndFindsFreedAddresses() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/29");
        addAll(cfg, "c", 5); // .2-.6, full
        alloc.release(Configs.request(cfg, "c1")); // frees .3
        assertEquals("10.1.0.3", add(cfg, "d"), "wrapped past .6 and the gateway .1");
        alloc.release(Configs.request(cfg, "c4")); // frees .6 == rangeEnd, after last .3
        assertEquals("10.1.0.6", add(cfg, "e"));
    }

    @Test
    void lastReservedOutsideTheSetStartsAtRangeStart() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.50\"}]]");
        StoreTree.write(net("n").resolve("last_reserved_ip.0"), "10.9.9.9");
        assertEquals("10.1.0.50", add(cfg, "c"));
        StoreTree.write(net("n").resolve("last_reserved_ip.0"), "10.1.0.10"); // in subnet, before rangeStart
        assertEquals("10.1.0.51", add(cfg, "d"));
    }

    @Test
    void walksAcrossRangesOfASetCyclicallySkippingEachGateway() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/29\"},"
                + "{\"subnet\":\"10.2.0.0/24\",\"rangeStart\":\"10.2.0.1\",\"rangeEnd\":\"10.2.0.3\"}]]");
        // 10.1.0.1 and 10.2.0.1 are the gateways of their ranges
        List<String> got = addAll(cfg, "c", 7);
        assertEquals(List.of("10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6", "10.2.0.2", "10.2.0.3"), got);
        alloc.release(Configs.request(cfg, "c0"));
        assertEquals("10.1.0.2", add(cfg, "d"), "wrapped from the last range back to the first");
        IpamException e = assertThrows(IpamException.class, () -> add(cfg, "x"));
        assertEquals("failed to allocate for range 0: no IP addresses available in range set: "
                + "10.1.0.1-10.1.0.6,10.2.0.1-10.2.0.3", e.msg());
    }

    @Test
    void requestedIpIsHonouredAndBecomesLastReserved() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        List<Allocation> a = alloc.allocate(Configs.request(cfg, "c", "eth0", "IP=10.1.0.77"));
        assertEquals("10.1.0.77/24", a.get(0).address().toString());
        assertEquals("10.1.0.77", StoreTree.read(net("n").resolve("last_reserved_ip.0")));
        assertEquals("10.1.0.78", add(cfg, "d"));
    }

    @Test
    void requestedIpTakenIsTryAgainLater() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        add(cfg, "a"); // .2
        IpamException e = assertThrows(IpamException.class,
                () -> alloc.allocate(Configs.request(cfg, "b", "eth0", "IP=10.1.0.2")));
        assertEquals("failed to allocate for range 0: requested IP address 10.1.0.2 is not available in range set "
                + "10.1.0.1-10.1.0.254", e.msg());
        assertEquals(IpamException.TRY_AGAIN_LATER, e.code());
    }

    @Test
    void requestedGatewayOrOutsideEverySetFails() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        IpamException gw = assertThrows(IpamException.class,
                () -> alloc.allocate(Configs.request(cfg, "b", "eth0", "IP=10.1.0.1")));
        assertEquals("failed to allocate for range 0: requested ip 10.1.0.1 is subnet's gateway", gw.msg());

        IpamException outside = assertThrows(IpamException.class,
                () -> alloc.allocate(Configs.request(cfg, "b", "eth0", "IP=10.3.0.1")));
        assertEquals("failed to allocate all requested IPs: 10.3.0.1", outside.msg());
        assertEquals(Map.of(), StoreTree.reservations(net("n")), "the set's own allocation was rolled back");
    }

    @Test
    void duplicateAllocationIsRefused() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        add(cfg, "c");
        IpamException e = assertThrows(IpamException.class, () -> add(cfg, "c"));
        assertEquals("failed to allocate for range 0: 10.1.0.2 has been allocated to c, duplicate allocation is not "
                + "allowed", e.msg());
        assertEquals("10.1.0.3", alloc.allocate(Configs.request(cfg, "c", "eth1", null)).get(0).address()
                .address().toString(), "another interface of the same container is a different attachment");
        // a legacy (ID-only) reservation also counts
        StoreTree.write(net("n").resolve("10.1.0.200"), "old");
        assertThrows(IpamException.class, () -> add(cfg, "old"));
    }

    @Test
    void dualStackAllocatesOnePerSetInOrder() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8::/64\"}]]");
        List<Allocation> a = alloc.allocate(Configs.request(cfg, "c"));
        assertEquals(List.of(new Allocation(Cidr.parse("10.1.0.2/24"), IpAddress.parse("10.1.0.1"), 0),
                new Allocation(Cidr.parse("2001:db8::2/64"), IpAddress.parse("2001:db8::1"), 1)), a);
        assertEquals("2001:db8::2", StoreTree.read(net("n").resolve("last_reserved_ip.1")));
    }

    @Test
    void failureInALaterSetRollsBackOnlyThisCallsReservations() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8::/126\"}]]");
        // fill the v6 set (::2, ::3; ::1 is the gateway) with other containers
        StoreTree.write(net("n").resolve("2001:db8::2"), "x\r\neth0");
        StoreTree.write(net("n").resolve("2001:db8::3"), "y\r\neth0");
        StoreTree.write(net("n").resolve("10.1.0.9"), "keep\r\neth0");
        IpamException e = assertThrows(IpamException.class, () -> alloc.allocate(Configs.request(cfg, "c")));
        assertEquals("failed to allocate for range 1: no IP addresses available in range set: 2001:db8::1-2001:db8::3",
                e.msg());
        assertEquals(Map.of("10.1.0.9", "keep\r\neth0", "2001:db8::2", "x\r\neth0", "2001:db8::3", "y\r\neth0"),
                StoreTree.reservations(net("n")), "the v4 address taken by this call was released, nothing else");
    }

    @Test
    void networkNameFromTheRequestOverridesStdin() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        alloc.allocate(new IpamRequest("other", "c", "eth0", cfg, null));
        assertTrue(Files.exists(dataDir.resolve("other/10.1.0.2")));
        assertFalse(Files.exists(dataDir.resolve("n")));
        IpamException e = assertThrows(IpamException.class,
                () -> alloc.allocate(new IpamRequest("../escape", "c", "eth0", cfg, null)));
        assertEquals(IpamException.INVALID_CONFIG, e.code());
    }

    @Test
    void releaseIsIdempotentAndFallsBackToLegacyFiles() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        alloc.release(Configs.request(cfg, "nobody")); // no directory yet: fine, and nothing created
        assertFalse(Files.exists(net("n")));
        add(cfg, "c");
        add(cfg, "d");
        alloc.release(Configs.request(cfg, "c"));
        alloc.release(Configs.request(cfg, "c"));
        assertEquals(Map.of("10.1.0.3", "d\r\neth0"), StoreTree.reservations(net("n")));

        StoreTree.write(net("n").resolve("10.1.0.50"), "legacy\n");
        StoreTree.write(net("n").resolve("10.1.0.51"), "legacy");
        alloc.release(Configs.request(cfg, "legacy"));
        assertEquals(Map.of("10.1.0.3", "d\r\neth0"), StoreTree.reservations(net("n")));
    }

    @Test
    void releaseOnlyFallsBackWhenNoCurrentFormatFileMatches() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        StoreTree.write(net("n").resolve("10.1.0.50"), "c\r\neth0");
        StoreTree.write(net("n").resolve("10.1.0.51"), "c"); // legacy file of the same container
        alloc.release(Configs.request(cfg, "c"));
        assertEquals(Map.of("10.1.0.51", "c"), StoreTree.reservations(net("n")), "reference semantics");
    }

    @Test
    void releaseWorksWhenTheRangesNoLongerValidate() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        add(cfg, "c");
        JsonNode broken = Configs.subnet("n", dataDir, "10.1.0.5/24");
        alloc.release(Configs.request(broken, "c"));
        assertEquals(Map.of(), StoreTree.reservations(net("n")));
        assertTrue(logged.stream().anyMatch(l -> l.contains("invalid config")), logged::toString);
        IpamException e = assertThrows(IpamException.class, () -> alloc.release(Configs.request(
                Configs.json("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}"), "c")));
        assertEquals("IPAM config missing 'ipam' key", e.msg());
    }

    @Test
    void checkFindsCurrentAndLegacyReservations() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        IpamException none = assertThrows(IpamException.class, () -> alloc.check(Configs.request(cfg, "c")));
        assertEquals("host-local: Failed to find address added by container c", none.msg());
        add(cfg, "c");
        alloc.check(Configs.request(cfg, "c"));
        assertThrows(IpamException.class, () -> alloc.check(Configs.request(cfg, "c", "eth1", null)));
        StoreTree.write(net("n").resolve("10.1.0.60"), "legacy");
        alloc.check(Configs.request(cfg, "legacy"));
    }
}
