package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Pods made by weft-bridge talk: pod to pod on one bridge, pod to the node through the gateway. */
@KernelTest
class ConnectivityTest {

    @Test
    void twoPodsPingEachOtherAndTheGatewayWithHairpinOn() throws IOException {
        Path dataDir = Files.createTempDirectory("wt-ipam");
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"wtping\",\"type\":\"weft-bridge\",\"bridge\":\"wt-ping0\",\"isGateway\":true,"
                + "\"isDefaultGateway\":true,\"hairpinMode\":true,\"ipam\":{\"type\":\"weft-host-local\",\"ranges\":[[{\"subnet\":\"10.213.10.0/24\"}],"
                + "[{\"subnet\":\"fd00:213:10::/64\"}]],\"dataDir\":\"" + dataDir + "\"}}";
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pod"); TestNetns b = TestNetns.create("pod")) {
            var ra = Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "pa", a.path().toString()).config(conf).run().requireOk().json();
            var rb = Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "pb", b.path().toString()).config(conf).run().requireOk().json();
            String ipA = ra.path("ips").get(0).path("address").asText().split("/")[0];
            String ipB = rb.path("ips").get(0).path("address").asText().split("/")[0];
            String ip6B = rb.path("ips").get(1).path("address").asText().split("/")[0];
            assertTrue(a.tryExec("ping", "-c", "2", "-W", "2", ipB).ok(), "pod a -> pod b");
            assertTrue(b.tryExec("ping", "-c", "2", "-W", "2", ipA).ok(), "pod b -> pod a");
            assertTrue(a.tryExec("ping", "-6", "-c", "2", "-W", "2", ip6B).ok(), "pod a -> pod b over IPv6 (no DAD wait)");
            assertTrue(a.tryExec("ping", "-c", "2", "-W", "2", "10.213.10.1").ok(), "pod -> node through the gateway");
            assertTrue(KernelState.routes(a.name(), 4, "main").stream().anyMatch(r -> r.isDefault() && "10.213.10.1".equals(r.gateway())));
            for (var l : KernelState.links(host.name())) {
                if (l.ifname().startsWith("veth")) {
                    assertTrue(KernelState.bridgePort(host.name(), l.ifname()).orElseThrow().hairpin(), l.ifname() + " hairpin");
                    assertEquals("wt-ping0", l.master());
                }
            }
            Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "pa", a.path().toString()).config(conf).run().requireOk();
            Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "pb", b.path().toString()).config(conf).run().requireOk();
        } finally {
            try (var s = Files.walk(dataDir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
