package dev.weft.flannel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NetworkConfigTest {

    // ---------------------------------------------------------------- defaults (table)

    static Stream<Arguments> ipv4Defaults() {
        return Stream.of(
                // json, subnetLen, min, max
                Arguments.of("{\"Network\":\"10.244.0.0/16\"}", 24, "10.244.1.0", "10.244.255.0"),
                Arguments.of("{\"Network\":\"10.0.0.0/8\"}", 24, "10.0.1.0", "10.255.255.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/22\"}", 24, "10.5.1.0", "10.5.3.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/23\"}", 25, "10.5.0.128", "10.5.1.128"),
                Arguments.of("{\"Network\":\"10.5.0.0/28\"}", 30, "10.5.0.4", "10.5.0.12"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":18}", 18, "10.5.64.0", "10.5.192.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":30}", 30, "10.5.0.4", "10.5.255.252"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":0}", 24, "10.5.1.0", "10.5.255.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":null}", 24, "10.5.1.0", "10.5.255.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"0.0.0.0\"}", 24, "10.5.1.0", "10.5.255.0"),
                Arguments.of("{\"Network\":\"10.244.1.7/16\"}", 24, "10.244.1.0", "10.244.255.0"),
                // documentation example
                Arguments.of("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":20,\"SubnetMin\":\"10.10.0.0\","
                        + "\"SubnetMax\":\"10.99.0.0\",\"Backend\":{\"Type\":\"udp\",\"Port\":7890}}", 20, "10.10.0.0", "10.99.0.0"));
    }

    @ParameterizedTest
    @MethodSource("ipv4Defaults")
    void ipv4DefaultsFollowFlannel(String json, int len, String min, String max) {
        NetworkConfig c = NetworkConfig.parse(json);
        assertTrue(c.enableIPv4());
        assertFalse(c.enableIPv6());
        assertEquals(len, c.subnetLen());
        assertEquals(IpAddress.parse(min), c.subnetMin());
        assertEquals(IpAddress.parse(max), c.subnetMax());
        assertFalse(c.network().hasHostBits());
    }

    static Stream<Arguments> ipv6Defaults() {
        return Stream.of(
                Arguments.of("fd00:10::/48", null, 64, "fd00:10:0:1::", "fd00:10:0:ffff::"),
                Arguments.of("fd00:10::/62", null, 64, "fd00:10:0:1::", "fd00:10:0:3::"),
                Arguments.of("fd00::/64", null, 66, "fd00::4000:0:0:0", "fd00::c000:0:0:0"),
                Arguments.of("fd00::/124", null, 126, "fd00::4", "fd00::c"),
                Arguments.of("fd00:10::/48", 56, 56, "fd00:10:0:100::", "fd00:10:0:ff00::"));
    }

    @ParameterizedTest
    @MethodSource("ipv6Defaults")
    void ipv6DefaultsFollowFlannel(String net, Integer len, int wantLen, String min, String max) {
        String json = "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"" + net + "\""
                + (len == null ? "" : ",\"IPv6SubnetLen\":" + len) + "}";
        NetworkConfig c = NetworkConfig.parse(json);
        assertTrue(c.enableIPv6());
        assertEquals(Cidr.parse(net), c.ipv6Network());
        assertEquals(wantLen, c.ipv6SubnetLen());
        assertEquals(IpAddress.parse(min), c.ipv6SubnetMin());
        assertEquals(IpAddress.parse(max), c.ipv6SubnetMax());
    }

    @Test
    void ipv6Only() {
        NetworkConfig c = NetworkConfig.parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:1::/56\"}");
        assertFalse(c.enableIPv4());
        assertNull(c.ipv4());
        assertNull(c.network());
        assertEquals(64, c.ipv6SubnetLen());
    }

    @Test
    void otherDefaults() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\"}");
        assertFalse(c.enableNFTables());
        assertNull(c.backend());
        assertEquals("vxlan", c.backendType());
        assertTrue(NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true}").enableNFTables());
    }

    // ---------------------------------------------------------------- validation (table)

    static Stream<Arguments> invalid() {
        return Stream.of(
                // json, key, message fragment (flannel's wording where flannel has one)
                Arguments.of("{}", "Network", "please define a correct Network parameter in the flannel config"),
                Arguments.of("null", "Network", "please define a correct Network parameter in the flannel config"),
                Arguments.of("{\"Network\":\"0.0.0.0/0\"}", "Network", "please define a correct Network parameter"),
                Arguments.of("{\"Network\":\"10.5.0.0/29\"}", "Network", "network is too small. Minimum useful network prefix is /28"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":31}", "SubnetLen", "SubnetLen must be less than /31"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":17}", "SubnetLen",
                        "network must be able to accommodate at least four subnets"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":8}", "SubnetLen",
                        "network must be able to accommodate at least four subnets"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.6.1.0\"}", "SubnetMin",
                        "SubnetMin is not in the range of the Network"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMax\":\"10.4.1.0\"}", "SubnetMax",
                        "SubnetMax is not in the range of the Network"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1.5\"}", "SubnetMin",
                        "SubnetMin is not on a SubnetLen boundary: 10.5.1.5"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMax\":\"10.5.9.128\"}", "SubnetMax",
                        "SubnetMax is not on a SubnetLen boundary: 10.5.9.128"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.9.0\",\"SubnetMax\":\"10.5.8.0\"}", "SubnetMin",
                        "greater than SubnetMax"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true}", "IPv6Network",
                        "please define a correct IPv6Network parameter in the flannel config"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/125\"}", "IPv6Network",
                        "IPv6Network is too small. Minimum useful network prefix is /124"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/48\",\"IPv6SubnetLen\":127}",
                        "IPv6SubnetLen", "SubnetLen must be less than /127"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/48\",\"IPv6SubnetLen\":49}",
                        "IPv6SubnetLen", "network must be able to accommodate at least four subnets"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/48\",\"IPv6SubnetMin\":\"fd01::\"}",
                        "IPv6SubnetMin", "IPv6SubnetMin is not in the range of the IPv6Network"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00::/48\",\"IPv6SubnetMax\":\"fd00:0:0:5::1\"}",
                        "IPv6SubnetMax", "IPv6SubnetMax is not on a SubnetLen boundary: fd00:0:0:5::1"),
                Arguments.of("{\"EnableIPv4\":false}", "EnableIPv4", "both false"),
                // JSON and type errors name the key
                Arguments.of("{\"Network\":", null, "malformed network config JSON"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\"} trailing", null, "malformed network config JSON"),
                Arguments.of("[1,2]", null, "must be a JSON object"),
                Arguments.of("{\"Network\":5}", "Network", "Network: expected a string, got number 5"),
                Arguments.of("{\"Network\":\"10.5.0.0\"}", "Network", "Network: invalid IPv4 CIDR format \"10.5.0.0\""),
                Arguments.of("{\"Network\":\"fd00::/8\"}", "Network", "invalid IPv4 CIDR format"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":\"24\"}", "SubnetLen",
                        "SubnetLen: expected a non-negative integer, got string \"24\""),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":-1}", "SubnetLen", "expected a non-negative integer"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24.5}", "SubnetLen", "expected a non-negative integer"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1\"}", "SubnetMin", "SubnetMin: invalid IPv4 address"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv4\":\"yes\"}", "EnableIPv4", "EnableIPv4: expected true or false"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":\"vxlan\"}", "Backend", "error decoding Backend property"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":5}}", "Backend.Type", "Backend.Type: expected a string"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"carrier-pigeon\"}}", "Backend.Type",
                        "unknown backend type \"carrier-pigeon\""),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\"}}", "Backend.Type",
                        "not supported by weftd"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void invalidConfigsAreRejectedNamingTheKey(String json, String key, String fragment) {
        ConfigException e = assertThrows(ConfigException.class, () -> NetworkConfig.parse(json));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "message \"" + e.getMessage() + "\" lacks \"" + fragment + "\"");
    }

    // ---------------------------------------------------------------- Go's key matching

    @Test
    void keysAreCaseInsensitive() {
        NetworkConfig c = NetworkConfig.parse(
                "{\"network\":\"10.7.0.0/16\",\"subnetlen\":20,\"SUBNETMIN\":\"10.7.16.0\",\"backend\":{\"type\":\"host-gw\"}}");
        assertEquals(Cidr.parse("10.7.0.0/16"), c.network());
        assertEquals(20, c.subnetLen());
        assertEquals(IpAddress.parse("10.7.16.0"), c.subnetMin());
        assertEquals("host-gw", c.backendType());
        assertEquals("host-gw", c.backend().get("type").asText());
    }

    @Test
    void lastMatchingKeyWinsLikeGo() {
        assertEquals(Cidr.parse("10.2.0.0/16"),
                NetworkConfig.parse("{\"Network\":\"10.1.0.0/16\",\"network\":\"10.2.0.0/16\"}").network());
        assertEquals(Cidr.parse("10.1.0.0/16"),
                NetworkConfig.parse("{\"network\":\"10.2.0.0/16\",\"Network\":\"10.1.0.0/16\"}").network());
    }

    @Test
    void unknownKeysAreIgnored() {
        assertEquals(24, NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Colour\":\"blue\"}").subnetLen());
    }

    // ---------------------------------------------------------------- backend

    @Test
    void absentBackendOrTypeMeansVxlanAsDocumented() {
        assertEquals("vxlan", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\"}").backendType());
        assertEquals("vxlan", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":null}").backendType());
        assertEquals("vxlan", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{}}").backendType());
        assertEquals("vxlan", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"VNI\":4}}").backendType());
        assertEquals("vxlan", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"VXLAN\"}}").backendType());
        assertEquals("udp", NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}").backendType());
    }

    @Test
    void rawBackendIsKeptForTheBackend() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4,\"Port\":4789}}");
        assertEquals(4, c.backend().get("VNI").asInt());
        assertEquals(4789, c.backend().get("Port").asInt());
        c.backend().withObject("/x"); // callers get a copy
        assertNull(c.backend().get("x"));
    }
}
