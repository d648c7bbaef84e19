package dev.weft.ipam.hostlocal;

import static dev.weft.ipam.hostlocal.Configs.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing and validation of the plugin stdin; messages are the reference's (see ReferenceMessagesTest). */
class HostLocalConfigTest {

    private static HostLocalConfig parse(String ipamMembers) throws IpamException {
        return HostLocalConfig.parse(Configs.net("n", Path.of("/tmp/x"), ipamMembers), null);
    }

    private static IpamException error(String ipamMembers) {
        return assertThrows(IpamException.class, () -> parse(ipamMembers));
    }

    private static IpamException errorFor(String stdin, String cniArgs) {
        return assertThrows(IpamException.class, () -> HostLocalConfig.parse(json(stdin), cniArgs));
    }

    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    // ---------------------------------------------------------------- shape

    @Test
    void ipamKeyIsRequired() {
        IpamException e = errorFor("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", null);
        assertEquals("IPAM config missing 'ipam' key", e.msg());
        assertEquals(IpamException.INVALID_CONFIG, e.code());
        assertEquals("IPAM config missing 'ipam' key",
                errorFor("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":null}", null).msg());
    }

    @Test
    void noRangesAtAll() {
        assertEquals("no IP ranges specified", error("\"ranges\":[]").msg());
        assertEquals("no IP ranges specified", error("").msg());
    }

    @Test
    void defaultsForV4AndV6() throws Exception {
        HostLocalConfig c = parse("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8::/64\"}]]");
        IpRange v4 = c.rangeSets().get(0).ranges().get(0);
        assertEquals(new IpRange(Cidr.parse("10.1.0.0/24"), ip("10.1.0.1"), ip("10.1.0.254"), ip("10.1.0.1")), v4);
        IpRange v6 = c.rangeSets().get(1).ranges().get(0);
        // IPv6 keeps the all-ones address: there is no broadcast to exclude.
        assertEquals(new IpRange(Cidr.parse("2001:db8::/64"), ip("2001:db8::1"),
                ip("2001:db8::ffff:ffff:ffff:ffff"), ip("2001:db8::1")), v6);
        assertEquals(HostLocalConfig.DEFAULT_DATA_DIR, HostLocalConfig.parse(
                json("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"}}"), null).dataDir());
        assertEquals(Path.of("/tmp/x"), c.dataDir());
        assertEquals(Path.of("/tmp/x/n"), c.networkDir());
        assertEquals("n", c.name());
        assertEquals("1.0.0", c.cniVersion());
    }

    @Test
    void explicitStartEndGateway() throws Exception {
        HostLocalConfig c = parse("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.10\","
                + "\"rangeEnd\":\"10.1.0.20\",\"gateway\":\"10.1.0.254\"}]]");
        assertEquals(new IpRange(Cidr.parse("10.1.0.0/24"), ip("10.1.0.10"), ip("10.1.0.20"), ip("10.1.0.254")),
                c.rangeSets().get(0).ranges().get(0));
        assertEquals("10.1.0.10-10.1.0.20", c.rangeSets().get(0).toString());
    }

    @Test
    void jsonKeysMatchCaseInsensitivelyAsInGo() throws Exception {
        HostLocalConfig c = HostLocalConfig.parse(json("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                + "\"IPAM\":{\"DataDir\":\"/d\",\"RANGES\":[[{\"SUBNET\":\"10.4.0.0/24\"}]]}}"), null);
        assertEquals(Path.of("/d"), c.dataDir());
        assertEquals(Cidr.parse("10.4.0.0/24"), c.rangeSets().get(0).ranges().get(0).subnet());
    }

    // ---------------------------------------------------------------- validation messages

    @Test
    void subnetWithHostBits() {
        IpamException e = error("\"ranges\":[[{\"subnet\":\"10.1.0.5/24\"}]]");
        assertEquals("invalid range set 0: Network has host bits set. For a subnet mask of length 24 the network "
                + "address is 10.1.0.0", e.msg());
        assertEquals(IpamException.INVALID_CONFIG, e.code());
        assertEquals("invalid range set 0: Network has host bits set. For a subnet mask of length 64 the network "
                + "address is 2001:db8::", error("\"ranges\":[[{\"subnet\":\"2001:db8::5/64\"}]]").msg());
    }

    @Test
    void subnetsTooSmall() {
        for (String s : List.of("10.1.0.0/31", "10.1.0.0/32", "2001:db8::/127", "2001:db8::/128")) {
            assertEquals("invalid range set 0: Network " + s + " too small to allocate from",
                    error("\"ranges\":[[{\"subnet\":\"" + s + "\"}]]").msg());
        }
        // /30 and /126 are the smallest that work
        assertEquals(2, assertDoesNotThrow("\"ranges\":[[{\"subnet\":\"10.1.0.0/30\"}],[{\"subnet\":\"2001:db8::/126\"}]]"));
    }

    private static int assertDoesNotThrow(String ipamMembers) {
        try {
            return parse(ipamMembers).rangeSets().size();
        } catch (IpamException e) {
            throw new AssertionError(e.msg(), e);
        }
    }

    @Test
    void badSubnetLiteral() {
        assertEquals("invalid CIDR address: bogus", error("\"ranges\":[[{\"subnet\":\"bogus\"}]]").msg());
        assertEquals("invalid IP address: nope",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"nope\"}]]").msg());
    }

    @Test
    void startAndEndMustBeInsideTheSubnet() {
        assertEquals("invalid range set 0: RangeStart 10.2.0.1 not in network 10.1.0.0/24",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.2.0.1\"}]]").msg());
        assertEquals("invalid range set 0: RangeEnd 10.2.0.1 not in network 10.1.0.0/24",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.2.0.1\"}]]").msg());
        assertEquals("invalid range set 0: RangeEnd 2001:db8::5 not in network 10.1.0.0/24",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"2001:db8::5\"}]]").msg());
        // A start beyond the end is reported as a bad start, as the reference checks start first.
        assertEquals("invalid range set 0: RangeStart 10.1.0.10 not in network 10.1.0.0/24",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.10\",\"rangeEnd\":\"10.1.0.5\"}]]").msg());
        // An end before the default start (network+1) is a bad end.
        assertEquals("invalid range set 0: RangeEnd 10.1.0.0 not in network 10.1.0.0/24",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.1.0.0\"}]]").msg());
    }

    @Test
    void gatewayOutsideTheSubnetIsAcceptedLikeTheReference() throws Exception {
        HostLocalConfig c = parse("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"10.2.0.1\"}]]");
        assertEquals(ip("10.2.0.1"), c.rangeSets().get(0).ranges().get(0).gateway());
    }

    @Test
    void setsMustBeOneFamilyAndNotOverlap() {
        assertEquals("invalid range set 0: mixed address families",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"2001:db8::/64\"}]]").msg());
        assertEquals("invalid range set 0: subnets 10.1.0.1-10.1.0.254 and 10.1.0.1-10.1.0.126 overlap",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"10.1.0.0/25\"}]]").msg());
        assertEquals("range set 0 overlaps with 1",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"10.1.0.0/25\"}]]").msg());
        assertEquals("range set 1 overlaps with 2", error("\"ranges\":[[{\"subnet\":\"10.9.0.0/24\"}],"
                + "[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"10.1.0.128/25\"}]]").msg());
        assertEquals("invalid range set 1: empty range set",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[]]").msg());
    }

    @Test
    void splitRangesOfOneSubnetDoNotOverlap() throws Exception {
        HostLocalConfig c = parse("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.1.0.100\"},"
                + "{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.101\"}]]");
        assertEquals("10.1.0.1-10.1.0.100,10.1.0.101-10.1.0.254", c.rangeSets().get(0).toString());
    }

    @Test
    void twoAddressesPerFamilyNeedCni030() {
        String twoV4 = "\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}],[{\"subnet\":\"10.8.0.0/24\"}]]}}";
        IpamException e = errorFor("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{" + twoV4, null);
        assertEquals("CNI version 0.2.0 does not support more than 1 address per family", e.msg());
        assertEquals(IpamException.INCOMPATIBLE_VERSION, e.code());
        assertEquals("CNI version  does not support more than 1 address per family",
                errorFor("{\"name\":\"n\",\"ipam\":{" + twoV4, null).msg());
        // one of each family is fine at 0.2.0
        assertDoesNotThrow(() -> HostLocalConfig.parse(json("{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{"
                + "\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}],[{\"subnet\":\"2001:db8::/64\"}]]}}"), null));
    }

    private static void assertDoesNotThrow(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(e);
    }

    // ---------------------------------------------------------------- where range sets come from

    @Test
    void legacyRangeIsPrependedAndCapabilityRangesGoFirst() throws Exception {
        HostLocalConfig c = HostLocalConfig.parse(json("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                + "\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.8.0.0/24\"}],[{\"subnet\":\"2001:db8:8::/64\"}]]},"
                + "\"ipam\":{\"subnet\":\"10.6.0.0/24\",\"rangeStart\":\"10.6.0.50\",\"gateway\":\"10.6.0.254\","
                + "\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}]]}}"), null);
        List<String> subnets = c.rangeSets().stream().map(s -> s.ranges().get(0).subnet().toString()).toList();
        assertEquals(List.of("10.8.0.0/24", "2001:db8:8::/64", "10.6.0.0/24", "10.7.0.0/24"), subnets);
        IpRange legacy = c.rangeSets().get(2).ranges().get(0);
        assertEquals(ip("10.6.0.50"), legacy.rangeStart());
        assertEquals(ip("10.6.0.254"), legacy.gateway());
    }

    @Test
    void legacyKeysWithoutSubnetAreIgnored() throws Exception {
        HostLocalConfig c = parse("\"rangeStart\":\"10.6.0.50\",\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}]]");
        assertEquals(1, c.rangeSets().size());
    }

    @Test
    void dualStackFromRanges() throws Exception {
        HostLocalConfig c = parse("\"ranges\":[[{\"subnet\":\"10.1.0.0/16\"}],[{\"subnet\":\"fd00:10:1::/64\"}]]");
        assertTrue(c.rangeSets().get(0).isV4());
        assertFalse(c.rangeSets().get(1).isV4());
    }

    // ---------------------------------------------------------------- requested IPs

    @Test
    void requestedIpsFromAllThreeSourcesMergedInOrder() throws Exception {
        HostLocalConfig c = HostLocalConfig.parse(json("{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
                + "\"args\":{\"cni\":{\"ips\":[\"10.1.0.20\",\"2001:db8::20\"]}},"
                + "\"runtimeConfig\":{\"ips\":[\"10.1.0.30/24\",\"10.1.0.20\"]},"
                + "\"ipam\":{\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]}}"), "IP=10.1.0.10");
        assertEquals(List.of(ip("10.1.0.10"), ip("10.1.0.20"), ip("2001:db8::20"), ip("10.1.0.30")), c.requestedIps());
    }

    @Test
    void requestedIpv4MappedIsUnmapped() throws Exception {
        HostLocalConfig c = HostLocalConfig.parse(Configs.subnet("n", Path.of("/tmp/x"), "10.1.0.0/24"),
                "IP=::ffff:10.1.0.9");
        assertEquals(List.of(ip("10.1.0.9")), c.requestedIps());
    }

    @Test
    void badRequestedIps() {
        String base = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"subnet\":\"10.1.0.0/24\"},";
        assertEquals("invalid IP address bogus", errorFor(base + "\"args\":{\"cni\":{\"ips\":[\"bogus\"]}}}", null).msg());
        assertEquals("invalid IP address bogus", errorFor(base + "\"runtimeConfig\":{\"ips\":[\"bogus\"]}}", null).msg());
    }

    // ---------------------------------------------------------------- CNI_ARGS

    @Test
    void cniArgs() throws Exception {
        var cfg = Configs.subnet("n", Path.of("/tmp/x"), "10.1.0.0/24");
        assertEquals(List.of(ip("10.1.0.7")), HostLocalConfig.parse(cfg, "IP=10.1.0.7").requestedIps());
        assertEquals(List.of(), HostLocalConfig.parse(cfg, "").requestedIps());
        assertEquals(List.of(), HostLocalConfig.parse(cfg, "IP=").requestedIps());
        // Kubernetes' usual CNI_ARGS
        assertEquals(List.of(ip("10.1.0.7")), HostLocalConfig.parse(cfg, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;"
                + "K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u;IP=10.1.0.7").requestedIps());
        assertEquals(List.of(), HostLocalConfig.parse(cfg, "FOO=1;IgnoreUnknown=TRUE").requestedIps());

        assertArgsError(cfg, "FOO=1;BAR=2", "ARGS: unknown args [\"FOO=1\" \"BAR=2\"]");
        assertArgsError(cfg, "ip=10.1.0.7", "ARGS: unknown args [\"ip=10.1.0.7\"]"); // keys are case-sensitive
        assertArgsError(cfg, "FOO", "ARGS: invalid pair \"FOO\"");
        assertArgsError(cfg, "IP=10.1.0.2;", "ARGS: invalid pair \"\"");
        assertArgsError(cfg, "IP=1=2", "ARGS: invalid pair \"IP=1=2\"");
        assertArgsError(cfg, "IP=bogus", "ARGS: error parsing value of pair \"IP=bogus\": invalid IP address bogus");
        assertArgsError(cfg, "FOO=1;IgnoreUnknown=yes",
                "ARGS: error parsing value of pair \"IgnoreUnknown=yes\": boolean unmarshal error: invalid input yes");
        assertArgsError(cfg, "CommonArgs=1", "ARGS: cannot unmarshal into field 'CommonArgs' - type "
                + "'*types.CommonArgs' does not implement encoding.TextUnmarshaler");
    }

    private static void assertArgsError(com.fasterxml.jackson.databind.JsonNode cfg, String args, String msg) {
        IpamException e = assertThrows(IpamException.class, () -> HostLocalConfig.parse(cfg, args), args);
        assertEquals(msg, e.msg());
        assertEquals(IpamException.INVALID_CONFIG, e.code());
    }

    // ---------------------------------------------------------------- routes, dns

    @Test
    void routesAreKeptVerbatim() throws Exception {
        HostLocalConfig c = parse("\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"dst\":\"0.0.0.0/0\"},"
                + "{\"dst\":\"10.9.0.5/16\",\"gw\":\"10.1.0.1\",\"mtu\":1400}]");
        assertEquals(Route.of(Cidr.parse("0.0.0.0/0"), null), c.routes().get(0));
        Route r = c.routes().get(1);
        assertEquals("10.9.0.5/16", r.dst().toString()); // host bits kept, as the reference prints them
        assertEquals(ip("10.1.0.1"), r.gw());
        assertEquals(1400, r.mtu());
        assertNull(r.table());
        assertEquals("invalid IPAM config: ipam.routes[0] has no dst",
                error("\"subnet\":\"10.1.0.0/24\",\"routes\":[{\"gw\":\"10.1.0.1\"}]").msg());
    }

    @Test
    void typeErrorsNameThePath() {
        IpamException e = error("\"ranges\":\"x\"");
        assertEquals("invalid IPAM config: ipam.ranges must be an array, got string", e.msg());
        assertEquals(IpamException.INVALID_CONFIG, e.code());
        assertEquals("invalid IPAM config: ipam.ranges[0][0].gateway must be a string, got number",
                error("\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"gateway\":5}]]").msg());
    }

    @Test
    void versionComparison() {
        assertTrue(HostLocalConfig.versionAtLeast("0.3.0", 0, 3, 0));
        assertTrue(HostLocalConfig.versionAtLeast("1.1.0", 0, 3, 0));
        assertTrue(HostLocalConfig.versionAtLeast("0.4", 0, 3, 0));
        assertFalse(HostLocalConfig.versionAtLeast("0.2.0", 0, 3, 0));
        assertFalse(HostLocalConfig.versionAtLeast("", 0, 3, 0));
        assertFalse(HostLocalConfig.versionAtLeast("x", 0, 3, 0));
        assertFalse(HostLocalConfig.versionAtLeast("1.0.0.0", 0, 3, 0));
    }
}
