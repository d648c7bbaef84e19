package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-level: the same inputs given to the reference plugin (in one data dir) and to us (in
 * another) leave the same tree: same names, same bytes, same directory modes.
 *
 * <p>File modes are the one known difference, and it is between reference versions, not between
 * us and the reference: upstream creates reservation and last_reserved_ip files 0600 (what we
 * write), while the 1.1.1 release Debian ships created them 0644. The lock file's mode is
 * go-filemutex's business and is not part of the format.
 */
class ReferenceFormatTest {
    @TempDir
    Path theirs;
    @TempDir
    Path ours;

    private static final Set<String> REFERENCE_FILE_MODES = Set.of("rw-------", "rw-r--r--");

    private final HostLocalAllocator alloc = new HostLocalAllocator(l -> { });

    private record Step(String containerId, String ifname, String cniArgs) {}

    private static final List<Step> STEPS = List.of(
            new Step("c1", "eth0", null),
            new Step("c2", "eth0", null),
            new Step("c2", "net1", null),
            new Step("c3", "eth0", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;IP=10.1.0.50"),
            new Step("c4", "eth0", null));

    private static JsonNode config(Path dataDir) {
        return Configs.ranges("podnet", dataDir, "[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8:1::/64\"}]]");
    }

    @Test
    void sameTreeAsTheReferenceAfterAddsAndDels() throws Exception {
        List<List<String>> theirResults = new ArrayList<>();
        List<List<String>> ourResults = new ArrayList<>();
        for (Step s : STEPS) {
            theirResults.add(ReferenceHostLocal.add(config(theirs), s.containerId(), s.ifname(), s.cniArgs()));
            ourResults.add(alloc.allocate(new IpamRequest(null, s.containerId(), s.ifname(), config(ours), s.cniArgs()))
                    .stream().map(a -> a.address().toString()).toList());
        }
        assertEquals(theirResults, ourResults, "same addresses in the same order");
        assertEquals(List.of("10.1.0.50/24", "2001:db8:1::5/64"), ourResults.get(3));
        assertSameTree();

        Path file = ours.resolve("podnet/10.1.0.2");
        assertEquals("c1\r\neth0", new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("10.1.0.51", StoreTree.read(ours.resolve("podnet/last_reserved_ip.0")));
        assertEquals("2001:db8:1::6", StoreTree.read(ours.resolve("podnet/last_reserved_ip.1")));

        ReferenceHostLocal.del(config(theirs), "c2", "eth0");
        alloc.release(new IpamRequest(null, "c2", "eth0", config(ours), null));
        assertSameTree();
        assertTrue(Files.exists(ours.resolve("podnet/10.1.0.4")), "c2's other interface keeps its address");
    }

    @Test
    void ipv6NamesAreCanonicalLikeGo() throws Exception {
        JsonNode t = Configs.ranges("v6", theirs, "[[{\"subnet\":\"2001:0DB8:0000:0000:0001::/80\","
                + "\"rangeStart\":\"2001:db8::1:0:0:fffe\"}]]");
        JsonNode o = Configs.ranges("v6", ours, "[[{\"subnet\":\"2001:0DB8:0000:0000:0001::/80\","
                + "\"rangeStart\":\"2001:db8::1:0:0:fffe\"}]]");
        for (int i = 0; i < 3; i++) {
            ReferenceHostLocal.add(t, "c" + i);
            alloc.allocate(Configs.request(o, "c" + i));
        }
        assertSameTree();
        assertEquals(Set.of("2001:db8::1:0:0:fffe", "2001:db8::1:0:0:ffff", "2001:db8::1:0:1:0"),
                StoreTree.reservations(ours.resolve("v6")).keySet());
    }

    private void assertSameTree() {
        Map<String, StoreTree.Entry> t = StoreTree.snapshot(theirs);
        Map<String, StoreTree.Entry> o = StoreTree.snapshot(ours);
        assertEquals(t.keySet(), o.keySet(), "same names");
        t.forEach((name, te) -> {
            StoreTree.Entry oe = o.get(name);
            assertEquals(te.directory(), oe.directory(), name);
            assertEquals(te.content(), oe.content(), () -> "bytes of " + name);
            if (te.directory()) {
                assertEquals("rwxr-xr-x", te.mode(), name);
                assertEquals(te.mode(), oe.mode(), () -> "mode of " + name);
            } else if (!name.endsWith("/lock")) {
                assertEquals("rw-------", oe.mode(), () -> "our mode of " + name);
                assertTrue(REFERENCE_FILE_MODES.contains(te.mode()), () -> "reference mode of " + name + ": " + te.mode());
            }
        });
    }
}
