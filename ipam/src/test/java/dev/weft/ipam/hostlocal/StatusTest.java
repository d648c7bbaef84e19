package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STATUS: 50 exactly when ADD cannot succeed for reasons of the store. */
class StatusTest {
    @TempDir
    Path dataDir;

    private final HostLocalAllocator alloc = new HostLocalAllocator(l -> { });

    private HostLocalConfig cfg(JsonNode json) throws IpamException {
        return HostLocalConfig.parse(json, null);
    }

    @Test
    void readyWhenThereIsRoomAndBeforeAnythingExists() throws Exception {
        JsonNode json = Configs.subnet("n", dataDir.resolve("not/yet"), "10.1.0.0/29");
        alloc.status(cfg(json));
        assertFalse(Files.exists(dataDir.resolve("not")), "STATUS creates nothing");
        alloc.allocate(Configs.request(json, "a"));
        alloc.status(cfg(json));
    }

    @Test
    void fiftyWhenTheRangeIsFullAndReadyAgainAfterARelease() throws Exception {
        JsonNode json = Configs.subnet("n", dataDir, "10.1.0.0/29"); // .2-.6
        for (int i = 0; i < 4; i++) {
            alloc.allocate(Configs.request(json, "c" + i));
        }
        alloc.status(cfg(json));
        ReferenceHostLocal.add(json, "c4"); // the reference takes the last one
        StoreTree.write(dataDir.resolve("n/junk-name"), "x"); // not counted
        IpamException e = assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
        assertEquals(IpamException.NOT_AVAILABLE, e.code());
        assertEquals("no IP addresses available in range set 0 (10.1.0.1-10.1.0.6)", e.msg());
        assertTrue(e.details().contains(dataDir.resolve("n").toString()), e.details());
        alloc.release(Configs.request(json, "c2"));
        alloc.status(cfg(json));
    }

    @Test
    void oneFullSetOfTwoIsEnoughSinceAddNeedsBoth() throws Exception {
        JsonNode json = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/30\"}],[{\"subnet\":\"2001:db8::/64\"}]]");
        alloc.allocate(Configs.request(json, "a")); // takes the only v4 address, .2
        IpamException e = assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
        assertEquals("no IP addresses available in range set 0 (10.1.0.1-10.1.0.2)", e.msg());
        assertThrows(IpamException.class, () -> alloc.allocate(Configs.request(json, "b")), "ADD agrees");
    }

    @Test
    void gatewayAndOutOfRangeFilesDoNotCount() throws Exception {
        // range .10-.12 with the gateway .11 inside it: capacity 2
        JsonNode json = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.10\","
                + "\"rangeEnd\":\"10.1.0.12\",\"gateway\":\"10.1.0.11\"}]]");
        StoreTree.write(dataDir.resolve("n/10.1.0.11"), "odd\r\neth0");
        StoreTree.write(dataDir.resolve("n/10.1.0.99"), "odd\r\neth1");
        StoreTree.write(dataDir.resolve("n/10.1.0.10"), "x\r\neth0");
        alloc.status(cfg(json));
        StoreTree.write(dataDir.resolve("n/10.1.0.12"), "y\r\neth0");
        assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
    }

    @Test
    void fiftyWhenDataDirIsAFile() throws Exception {
        Path file = dataDir.resolve("plain-file");
        Files.writeString(file, "");
        JsonNode json = Configs.subnet("n", file, "10.1.0.0/24");
        IpamException e = assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
        assertEquals(IpamException.NOT_AVAILABLE, e.code());
        assertTrue(e.msg().contains("is not a directory"), e.msg());
        assertEquals(IpamException.IO_FAILURE,
                assertThrows(IpamException.class, () -> alloc.allocate(Configs.request(json, "a"))).code(), "ADD agrees");
    }

    @Test
    void fiftyWhenDataDirIsOnAReadOnlyMount() throws Exception {
        Path ro = dataDir.resolve("ro");
        Files.createDirectories(ro.resolve("n"));
        JsonNode json = Configs.subnet("n", ro, "10.1.0.0/24");
        ReadOnlyMount mount = ReadOnlyMount.of(ro);
        try {
            IpamException e = assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
            assertEquals(IpamException.NOT_AVAILABLE, e.code());
            assertTrue(e.msg().contains("is not writable"), e.msg());
            assertThrows(IpamException.class, () -> alloc.allocate(Configs.request(json, "a")), "ADD agrees");
        } finally {
            mount.close();
        }
        alloc.status(cfg(json));
    }

    @Test
    void fiftyWhenResolvConfIsMissing() throws Exception {
        JsonNode json = Configs.net("n", dataDir, "\"subnet\":\"10.1.0.0/24\",\"resolvConf\":\"" + dataDir.resolve("nope") + "\"");
        IpamException e = assertThrows(IpamException.class, () -> alloc.status(cfg(json)));
        assertEquals(IpamException.NOT_AVAILABLE, e.code());
    }
}
