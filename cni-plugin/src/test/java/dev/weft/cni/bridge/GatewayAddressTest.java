package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.cni.testing.Cni;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge's gateway address when the bridge already has one: the gateway of another (old)
 * subnet is replaced, as after weftd moved the node to a new lease; a different address in the same
 * subnet is refused as the reference plugin does.
 */
@KernelTest
class GatewayAddressTest {
    @TempDir
    Path dataDir;

    private String conf() {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtgw\",\"type\":\"weft-bridge\",\"bridge\":\"wt-gw0\",\"isGateway\":true,"
                + "\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"10.213.51.0/24\",\"dataDir\":\"" + dataDir + "\"}}";
    }

    private static List<String> bridgeV4(TestNetns host) {
        return KernelState.addresses(host.name(), "wt-gw0").stream().map(AddrInfo::cidr).filter(c -> !c.contains(":")).toList();
    }

    @Test
    void aStaleGatewayOfAnotherSubnetIsReplaced() {
        try (TestNetns host = TestNetns.create("node"); TestNetns pod = TestNetns.create("pod")) {
            host.ip("link", "add", "wt-gw0", "type", "bridge");
            host.ip("addr", "add", "10.213.50.1/24", "dev", "wt-gw0"); // the node's previous subnet
            Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "g1", pod.path().toString()).config(conf()).run().requireOk();
            assertEquals(List.of("10.213.51.1/24"), bridgeV4(host));
            assertTrue(pod.tryExec("ping", "-c", "1", "-W", "2", "10.213.51.1").ok(), "the pod reaches the new gateway");
            Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "g1", pod.path().toString()).config(conf()).run().requireOk();
        }
    }

    @Test
    void anotherAddressInTheSameSubnetIsRefusedAsByTheReference() {
        try (TestNetns host = TestNetns.create("node"); TestNetns pod = TestNetns.create("pod")) {
            host.ip("link", "add", "wt-gw0", "type", "bridge");
            host.ip("addr", "add", "10.213.51.77/24", "dev", "wt-gw0");
            Cni.Outcome o = Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "g2", pod.path().toString()).config(conf()).run();
            assertFalse(o.ok(), o.toString());
            assertTrue(o.msg().contains("already has an IP address different from 10.213.51.1/24"), o.toString());
            assertEquals(List.of("10.213.51.77/24"), bridgeV4(host));
        }
    }
}
