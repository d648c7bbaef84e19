package dev.weft.bgp.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigDiffTest {
    private static final AgentConfig.Peer A = AgentConfig.Peer.of("10.0.0.2", 64512);
    private static final AgentConfig.Peer B = AgentConfig.Peer.of("10.0.0.3", 64512);
    private static final AgentConfig.Peer C = AgentConfig.Peer.of("10.0.0.4", 65001);

    private static Map<PeerKey, AgentConfig.Peer> current(AgentConfig.Peer... ps) {
        Map<PeerKey, AgentConfig.Peer> m = new LinkedHashMap<>();
        for (AgentConfig.Peer p : ps) {
            m.put(new PeerKey(IpAddress.parse(p.address())), p);
        }
        return m;
    }

    @Test
    void onlyAddedRemovedAndChangedPeersAreTouched() {
        AgentConfig prev = AgentConfig.of("10.0.0.1", 64512).withPeers(List.of(A, B));
        AgentConfig.Peer bChanged = B.withPassive(true);
        AgentConfig next = prev.withPeers(List.of(A, bChanged, C));
        ConfigDiff d = ConfigDiff.between(prev, current(A, B), Set.of(), next);
        assertEquals(List.of(C), d.added());
        assertEquals(List.of(), d.removed());
        assertEquals(List.of(bChanged), d.changed());
        assertEquals(1, d.untouched());
        assertEquals(List.of(), d.restartNeeded());
        assertEquals("peers: 1 added, 0 removed, 1 changed, 1 untouched; 0 originated prefixes", d.summary());

        ConfigDiff gone = ConfigDiff.between(next, current(A, bChanged, C), Set.of(), next.withPeers(List.of(C)));
        assertEquals(List.of(new PeerKey(IpAddress.parse(A.address())), new PeerKey(IpAddress.parse(B.address()))), gone.removed());
        assertEquals(1, gone.untouched());
    }

    @Test
    void originatedPrefixesAndSettingsOnlyARestartApplies() {
        AgentConfig prev = AgentConfig.of("10.0.0.1", 64512)
                .withOriginate(List.of(new AgentConfig.Originate("10.244.1.0/24", true), new AgentConfig.Originate("10.244.2.0/24", false)));
        AgentConfig next = AgentConfig.of("10.0.0.9", 64512)
                .withOriginate(List.of(new AgentConfig.Originate("10.244.2.0/24", true)));
        ConfigDiff d = ConfigDiff.between(prev, Map.of(), Set.of(Cidr.parse("10.244.1.0/24"), Cidr.parse("10.244.2.0/24")), next);
        assertEquals(List.of(Cidr.parse("10.244.1.0/24")), d.withdrawn());
        assertEquals(Map.of(Cidr.parse("10.244.2.0/24"), true), d.originate());
        // the RIB's decisions use the router id too, so its settings count as changed with it
        assertEquals(List.of("routerId/localAs", "ecmp/clusterId/localPref/nextHop"), d.restartNeeded());
        assertEquals("peers: 0 added, 0 removed, 0 changed, 0 untouched; 1 originated prefixes; not applied until a restart: "
                + "routerId/localAs, ecmp/clusterId/localPref/nextHop", d.summary());
    }
}
