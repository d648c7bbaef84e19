package dev.weft.bgp.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.bgp.rib.RibConfig;
import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigFileTest {
    static final String EXAMPLE = """
            routerId: 10.0.0.1
            localAs: 64512
            listen: {address: "::", port: 179}
            gracefulRestart: {enabled: true, restartTime: 120, selectionDeferral: 60}
            ecmp: true
            clusterId: 10.0.0.1
            localPref: 200
            originate:
              - {prefix: 10.244.1.0/24, blackhole: true}
              - prefix: fd00:244:1::/64
            fib: {table: 254, install: true}
            peers:
              - address: 10.0.0.2
                as: 64512
                rrClient: true
                holdTime: 9
                connectRetry: 1
                password: s3cret
                families: [ipv4, ipv6]
              - {address: "fd00::3", as: 64513, passive: true, gracefulRestart: false, nextHop: self}
            status: {address: 127.0.0.1, port: 9179}
            """;

    private static AgentConfig yaml(String text) {
        return ConfigFile.parse(text.getBytes(StandardCharsets.UTF_8), false, "test.yaml");
    }

    private static String error(String text) {
        return assertThrows(ConfigException.class, () -> yaml(text)).getMessage();
    }

    @Test
    void exampleParsesWithEveryField() {
        AgentConfig c = yaml(EXAMPLE);
        assertEquals(64512L, c.localAs());
        assertEquals(60, c.gracefulRestart().selectionDeferral());
        assertEquals(Cidr.parse("10.244.1.0/24"), c.originate().get(0).cidr());
        assertTrue(c.originate().get(0).blackhole());
        assertFalse(c.originate().get(1).blackhole());
        AgentConfig.Peer p = c.peers().get(0);
        assertEquals(Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST), p.familySet());
        assertEquals(9, p.holdTime());
        assertTrue(p.rrClient());
        AgentConfig.Peer q = c.peers().get(1);
        assertEquals(Set.of(Family.IPV6_UNICAST), q.familySet(), "default family follows the address");
        assertEquals(90, q.holdTime());
        assertEquals(AgentConfig.NextHopMode.SELF, q.nextHop());
        RibConfig rib = c.ribConfig();
        assertTrue(rib.multipath());
        assertEquals(200, rib.localPref());
        assertTrue(rib.clusterId().isPresent());
        assertEquals(RibConfig.NextHopMode.SELF, rib.reflectNextHop());
        assertTrue(c.status().enabled());
    }

    @Test
    void defaultsForAMinimalFile() {
        AgentConfig c = yaml("routerId: 1.2.3.4\nlocalAs: 65000\n");
        assertEquals(179, c.listen().port());
        assertTrue(c.gracefulRestart().enabled());
        assertEquals(120, c.gracefulRestart().restartTime());
        assertEquals(254, c.fib().table());
        assertTrue(c.fib().install());
        assertEquals(null, c.fib().namespace());
        assertTrue(c.peers().isEmpty());
        assertFalse(c.status().enabled());
    }

    @Test
    void jsonFileRoundTripsThroughJackson() throws Exception {
        AgentConfig c = yaml(EXAMPLE);
        Path f = Files.createTempFile("wt-bgp-", ".json");
        try {
            Files.write(f, new ObjectMapper().writeValueAsBytes(c));
            assertEquals(c, ConfigFile.read(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void unknownKeyIsNamedWithItsPath() {
        String m = error("routerId: 1.2.3.4\nlocalAs: 1\npeers:\n  - {address: 10.0.0.2, as: 1, hold: 9}\n");
        assertTrue(m.contains("unknown key \"peers[0].hold\""), m);
        assertTrue(m.contains("holdTime"), "lists the known keys: " + m);
        assertTrue(error("routerId: 1.2.3.4\nlocalAs: 1\nrouterid: 1.2.3.5\n").contains("\"routerid\""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "routerId: 0.0.0.0\\nlocalAs: 1|routerId: 0.0.0.0 is 0",
            "routerId: 224.0.0.1\\nlocalAs: 1|224.0.0.0/4",
            "routerId: 250.1.1.1\\nlocalAs: 1|240.0.0.0/4",
            "routerId: fd00::1\\nlocalAs: 1|dotted quad",
            "localAs: 1|routerId: required",
            "routerId: 1.2.3.4\\nlocalAs: 0|localAs: 0 is not an AS",
            "routerId: 1.2.3.4\\nlocalAs: 4294967296|localAs: 4294967296",
            "routerId: 1.2.3.4\\nlocalAs: 1\\nlisten: {port: 70000}|listen.port",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: 10.0.0.2, as: 1, holdTime: 2}]|holdTime: 2 must be 0 or 3",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: 10.0.0.2, as: 1}, {address: 10.0.0.2, as: 2}]|listed twice",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: 10.0.0.2}]|peers[10.0.0.2].as: required",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: bogus, as: 1}]|not an IP address",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: 10.0.0.2, as: 1, families: [l2vpn]}]|l2vpn",
            "routerId: 1.2.3.4\\nlocalAs: 1\\npeers: [{address: 10.0.0.2, as: 1, nextHop: maybe}]|neither keep nor self",
            "routerId: 1.2.3.4\\nlocalAs: 1\\noriginate: [{prefix: 10.244.1.1/24}]|host bits",
            "routerId: 1.2.3.4\\nlocalAs: 1\\ngracefulRestart: {restartTime: 5000}|restartTime",
            "routerId: 1.2.3.4\\nlocalAs: 1\\nfib: {namespace: relative}|absolute path",
            "routerId: 1.2.3.4\\nlocalAs: 1\\nlocalAs: 2|Duplicate field",
            "routerId: 1.2.3.4\\nlocalAs: 1.5|localAs",
    })
    void invalidValuesAreRefusedNamingTheKey(String text, String expected) {
        String m = error(text.replace("\\n", "\n"));
        assertTrue(m.contains(expected), "expected \"" + expected + "\" in: " + m);
        assertTrue(m.startsWith("test.yaml: "), m);
    }

    @Test
    void md5PasswordOfEightyCharactersIsTheLimit() {
        String base = "routerId: 1.2.3.4\nlocalAs: 1\npeers: [{address: 10.0.0.2, as: 1, password: \"%s\"}]\n";
        yaml(base.formatted("k".repeat(80)));
        assertTrue(error(base.formatted("k".repeat(81))).contains("password"));
    }

    @Test
    void fileLargerThanOneMebibyteIsRefusedBeforeParsing() throws Exception {
        Path f = Files.createTempFile("wt-bgp-", ".yaml");
        try {
            Files.writeString(f, "routerId: 1.2.3.4\nlocalAs: 1\n" + "#".repeat(ConfigFile.MAX_BYTES));
            String m = assertThrows(ConfigException.class, () -> ConfigFile.read(f)).getMessage();
            assertTrue(m.contains("larger than"), m);
        } finally {
            Files.delete(f);
        }
    }
}
