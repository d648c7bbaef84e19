package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Family;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our GR capability as a restarting speaker (the agent's {@link SpeakerConfig#withRestartState}). */
class RestartCapabilityTest {
    static final SpeakerConfig SPEAKER = SpeakerConfig.of(IpAddress.parse("10.0.0.1"), 64512);
    static final PeerConfig PEER = PeerConfig.of(IpAddress.parse("10.0.0.2"), 64512)
            .withFamilies(Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST), java.util.Map.of()).withGracefulRestart(120);

    private static Capability.GracefulRestart gr(SpeakerConfig s, PeerConfig p) {
        return new OpenNegotiation(s, p).ourOpen().capability(Capability.GracefulRestart.class).orElseThrow();
    }

    @Test
    void helperOnlyListsNoFamilies() {
        Capability.GracefulRestart c = gr(SPEAKER, PEER);
        assertFalse(c.restarting());
        assertTrue(c.families().isEmpty());
    }

    @Test
    void restartingSpeakerSetsTheRBitAndTheFBitOfPreservedFamiliesOnly() {
        Capability.GracefulRestart c = gr(SPEAKER.withRestartState(true, Set.of(Family.IPV4_UNICAST)), PEER);
        assertTrue(c.restarting());
        assertEquals(120, c.restartTime());
        assertEquals(List.of(new Capability.GracefulRestart.Entry(1, 1, true), new Capability.GracefulRestart.Entry(2, 1, false)),
                c.families());
    }

    @Test
    void freshStartListsFamiliesWithoutBits() {
        Capability.GracefulRestart c = gr(SPEAKER.withRestartState(false, Set.of()), PEER);
        assertFalse(c.restarting());
        assertTrue(c.families().stream().noneMatch(Capability.GracefulRestart.Entry::forwardingPreserved));
        assertEquals(2, c.families().size());
    }

    @Test
    void noGrTimeForThePeerMeansNoCapability() {
        assertTrue(new OpenNegotiation(SPEAKER.withRestartState(true, Set.of(Family.IPV4_UNICAST)), PEER.withGracefulRestart(-1))
                .ourOpen().capability(Capability.GracefulRestart.class).isEmpty());
    }
}
