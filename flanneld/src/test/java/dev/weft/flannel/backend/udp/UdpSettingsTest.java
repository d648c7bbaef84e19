package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendRegistry;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

/** The node's udp settings: defaults, limits, and how they reach the backend through its factory. */
class UdpSettingsTest {
    @Test
    void dataPathThreadsAreOneTwoOrAuto() {
        UdpSettings s = UdpSettings.DEFAULT;
        assertEquals(Runtime.getRuntime().availableProcessors() > 1 ? 2 : 1, s.resolvedThreads(), "0 = auto");
        assertEquals(1, s.withThreads(1).resolvedThreads());
        assertEquals(2, s.withThreads(2).resolvedThreads());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.withThreads(3));
        assertTrue(e.getMessage().contains("0 (auto), 1 or 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.withThreads(-1));
    }

    @Test
    void defaultsCheckSourcesWithOffloadsOn() {
        assertTrue(UdpSettings.DEFAULT.offloads());
        assertFalse(UdpSettings.DEFAULT.acceptAnySource());
        assertTrue(UdpSettings.DEFAULT.withAcceptAnySource(true).acceptAnySource());
    }

    @Test
    void aRegisteredFactoryGivesItsSettingsToTheBackend() {
        BackendContext ctx = BackendContext.of(NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}"),
                ExternalInterface.v4("eth0", 2, IpAddress.parse("192.168.1.10"), 1500));
        UdpSettings mine = new UdpSettings(false, 1, true);
        UdpBackend b = assertInstanceOf(UdpBackend.class, BackendRegistry.standard().register(new UdpFactory(mine)).create(ctx));
        assertEquals(mine, b.settings());
        UdpBackend d = assertInstanceOf(UdpBackend.class, BackendRegistry.standard().create(ctx));
        assertEquals(UdpSettings.DEFAULT, d.settings());
    }
}
