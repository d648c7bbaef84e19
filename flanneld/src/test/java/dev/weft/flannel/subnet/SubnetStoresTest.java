package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.file.FileKvStore;
import dev.weft.flannel.subnet.kv.KvStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetStoresTest {
    @TempDir
    Path dir;

    @Test
    void fileSpecOpensTheFileStore() {
        Path f = dir.resolve("weft/subnets.json");
        try (KvStore s = SubnetStores.open("file:" + f, null)) {
            assertTrue(s instanceof FileKvStore);
            s.put("/k", "v", null);
        }
        assertTrue(Files.exists(f));
        try (KvStore s = SubnetStores.open("file://" + f, null)) {
            assertEquals("v", s.get("/k").orElseThrow().value());
        }
    }

    @Test
    void defaultIsEtcd() {
        try (KvStore s = SubnetStores.open(null, EtcdOptions.of("http://127.0.0.1:1"))) {
            assertTrue(s instanceof EtcdKvStore);
        }
        assertThrows(IllegalArgumentException.class, () -> SubnetStores.open("zookeeper:x", null));
        assertThrows(IllegalArgumentException.class, () -> SubnetStores.open("file:", null));
    }

    @Test
    void renewMarginFlagRange() {
        assertEquals(Duration.ofMinutes(60), SubnetManagerOptions.renewMarginMinutes(60));
        assertEquals(Duration.ofMinutes(1439), SubnetManagerOptions.renewMarginMinutes(1439));
        assertThrows(IllegalArgumentException.class, () -> SubnetManagerOptions.renewMarginMinutes(0));
        assertThrows(IllegalArgumentException.class, () -> SubnetManagerOptions.renewMarginMinutes(1440));
        assertThrows(IllegalArgumentException.class, () -> SubnetManagerOptions.defaults()
                .withLeaseTtl(Duration.ofMinutes(30), Duration.ofMinutes(60)));
        assertEquals("/coreos.com/network/subnets/", SubnetManagerOptions.defaults().withPrefix("/coreos.com/network/").subnetsPrefix());
    }
}
