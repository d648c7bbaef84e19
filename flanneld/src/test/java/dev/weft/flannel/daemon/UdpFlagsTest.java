package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.flannel.backend.udp.UdpSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** weftd's -udp-* flags become the udp backend's settings. */
class UdpFlagsTest {
    private static UdpSettings parse(String... args) {
        WeftdOptions o = new WeftdOptions();
        new CommandLine(o).parseArgs(args);
        return o.udpSettings();
    }

    @Test
    void flagsMapToTheSettings() {
        assertEquals(UdpSettings.DEFAULT, parse());
        assertEquals(new UdpSettings(false, 1, true), parse("-udp-offload=false", "-udp-threads", "1", "-udp-accept-any-source"));
        assertEquals(new UdpSettings(true, 0, true), parse("--udp-accept-any-source", "true"));
        assertEquals(new UdpSettings(true, 0, false), parse("-udp-accept-any-source=false"));
    }
}
