package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference plugin and Weft on ONE data directory: either can take over from the other. */
class ReferenceInteropTest {
    @TempDir
    Path dataDir;

    private final HostLocalAllocator alloc = new HostLocalAllocator(l -> { });

    private String ours(JsonNode cfg, String id) throws IpamException {
        return alloc.allocate(Configs.request(cfg, id)).get(0).address().toString();
    }

    @Test
    void eachReleasesWhatTheOtherReserved() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8::/64\"}]]");
        Path dir = dataDir.resolve("n");
        alloc.allocate(Configs.request(cfg, "weft"));
        assertTrue(ReferenceHostLocal.check(cfg, "weft"), "reference CHECK finds our reservation");
        ReferenceHostLocal.del(cfg, "weft");
        assertEquals(Map.of(), StoreTree.reservations(dir), "reference DEL released both of our addresses");
        assertFalse(ReferenceHostLocal.check(cfg, "weft"));

        ReferenceHostLocal.add(cfg, "ref");
        alloc.check(Configs.request(cfg, "ref"));
        alloc.release(Configs.request(cfg, "ref"));
        assertEquals(Map.of(), StoreTree.reservations(dir), "our DEL released both of the reference's addresses");
        assertThrows(IpamException.class, () -> alloc.check(Configs.request(cfg, "ref")));
    }

    @Test
    void legacyIdOnlyFilesAreReleasedByBoth() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        Path dir = dataDir.resolve("n");
        Files.createDirectories(dir);
        StoreTree.write(dir.resolve("10.1.0.40"), "old-a");
        StoreTree.write(dir.resolve("10.1.0.41"), "old-b");
        ReferenceHostLocal.del(cfg, "old-a");
        alloc.release(Configs.request(cfg, "old-b"));
        assertEquals(Map.of(), StoreTree.reservations(dir));
    }

    @Test
    void roundRobinContinuesAcrossImplementations() throws Exception {
        JsonNode cfg = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/29\"}],[{\"subnet\":\"2001:db8::/125\"}]]");
        assertEquals("10.1.0.2/29", ours(cfg, "a"));
        assertEquals(List.of("10.1.0.3/29", "2001:db8::3/125"), ReferenceHostLocal.add(cfg, "b"));
        assertEquals("10.1.0.4/29", ours(cfg, "c"));
        assertEquals(List.of("10.1.0.5/29", "2001:db8::5/125"), ReferenceHostLocal.add(cfg, "d"));
        // free .2 (the reference's DEL of our reservation); neither may reuse it before the wrap
        ReferenceHostLocal.del(cfg, "a");
        assertEquals("10.1.0.6/29", ours(cfg, "e"));
        assertEquals(List.of("10.1.0.2/29", "2001:db8::7/125"), ReferenceHostLocal.add(cfg, "f"),
                "reference wrapped from our last_reserved_ip .6 past the gateway to the freed .2");
        // the v4 set is full now: both report exhaustion the same way
        String theirs = ReferenceHostLocal.addError(cfg, "g", null);
        IpamException e = assertThrows(IpamException.class, () -> ours(cfg, "g"));
        assertEquals(theirs, e.msg());
        assertEquals("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.1-10.1.0.6", theirs);
        assertEquals(10, StoreTree.reservations(dataDir.resolve("n")).size(), "5 live containers x 2 families, nothing leaked");
    }

    @Test
    void requestedIpMadeByOneIsRespectedByTheOther() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        alloc.allocate(Configs.request(cfg, "a", "eth0", "IP=10.1.0.77"));
        assertEquals(List.of("10.1.0.78/24"), ReferenceHostLocal.add(cfg, "b"), "reference read our last_reserved_ip");
        ReferenceHostLocal.add(cfg, "c", "eth0", "IP=10.1.0.200");
        assertEquals("10.1.0.201/24", ours(cfg, "d"), "we read the reference's last_reserved_ip");
    }

    @Test
    void duplicateDetectionSeesTheOthersReservation() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        ReferenceHostLocal.add(cfg, "a");
        IpamException e = assertThrows(IpamException.class, () -> ours(cfg, "a"));
        assertTrue(e.msg().contains("10.1.0.2 has been allocated to a, duplicate allocation is not allowed"), e.msg());
        ours(cfg, "b");
        assertTrue(ReferenceHostLocal.addError(cfg, "b", null).contains("10.1.0.3 has been allocated to b"));
    }
}
