package dev.weft.testkit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds a known state with plain ip/bridge commands inside one namespace and checks every reader
 * against it. Pins the JSON shapes of this machine's iproute2.
 */
@KernelTest
class KernelStateTest {
    static TestNetns ns;
    static String n;

    @BeforeAll
    static void build() {
        ns = TestNetns.create("ks");
        n = ns.name();
        ns.ip("link", "add", "va", "type", "veth", "peer", "name", "vb");
        ns.ip("link", "add", "br0", "type", "bridge");
        ns.ip("link", "set", "vb", "master", "br0");
        for (String d : List.of("br0", "va", "vb")) {
            ns.ip("link", "set", d, "up");
        }
        ns.bridge("link", "set", "dev", "vb", "hairpin", "on");
        ns.ip("addr", "add", "10.9.0.1/24", "dev", "va");
        ns.ip("addr", "add", "fd00:9::1/64", "dev", "va", "nodad");
        ns.ip("link", "add", "vxlan42", "type", "vxlan", "id", "42", "local", "10.9.0.1", "dstport", "8472",
                "nolearning", "dev", "va");
        ns.ip("link", "set", "vxlan42", "up");
        ns.ip("link", "add", "vxgbp", "type", "vxlan", "id", "7", "dstport", "4789", "gbp", "noudpcsum");
        ns.bridge("fdb", "append", "00:00:00:00:00:00", "dev", "vxlan42", "dst", "192.168.213.9", "self", "permanent");
        ns.ip("route", "add", "10.20.0.0/24", "via", "10.9.0.2", "dev", "va", "onlink");
        ns.ip("route", "add", "blackhole", "10.30.0.0/24");
        ns.ip("route", "add", "10.40.0.0/24", "via", "10.9.0.2", "table", "100");
        ns.ip("route", "add", "10.50.0.0/24", "via", "10.9.0.2", "metric", "77");
        ns.ip("route", "add", "default", "via", "10.9.0.254");
        ns.ip("-6", "route", "add", "fd00:99::/64", "via", "fd00:9::2", "metric", "5");
        ns.ip("neigh", "add", "10.9.0.5", "lladdr", "02:00:00:00:00:05", "dev", "va", "nud", "permanent");
        ns.ip("-6", "neigh", "add", "fd00:9::5", "lladdr", "02:00:00:00:00:06", "dev", "va", "nud", "permanent");
    }

    @AfterAll
    static void teardown() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void links() {
        List<LinkInfo> links = KernelState.links(n);
        assertEquals(Set.of("lo", "va", "vb", "br0", "vxlan42", "vxgbp"),
                Set.copyOf(links.stream().map(LinkInfo::ifname).toList()));

        LinkInfo lo = KernelState.requireLink(n, "lo");
        assertNull(lo.kind(), "lo has no linkinfo");
        assertTrue(lo.flags().containsAll(Set.of("LOOPBACK", "UP")));
        assertEquals(65536, lo.mtu());

        LinkInfo va = KernelState.requireLink(n, "va");
        LinkInfo vb = KernelState.requireLink(n, "vb");
        assertEquals("veth", va.kind());
        assertEquals("vb", va.link(), "same-netns veth peer is named in 'link'");
        assertNull(va.linkNetnsId());
        assertTrue(va.isUp() && va.hasCarrier());
        assertEquals("UP", va.operstate());
        assertTrue(va.address().matches("([0-9a-f]{2}:){5}[0-9a-f]{2}"), va.address());
        assertNull(va.master());
        assertEquals("br0", vb.master());
        assertEquals("bridge", vb.slaveKind());
        assertTrue(vb.slaveData().path("hairpin").asBoolean());

        LinkInfo br = KernelState.requireLink(n, "br0");
        assertEquals("bridge", br.kind());
        assertEquals(0, br.infoData().path("stp_state").asInt());

        assertTrue(KernelState.link(n, "nope0").isEmpty());
    }

    @Test
    void crossNamespaceVethCarriesNetnsId() {
        try (TestNetns other = TestNetns.create();
             VethPair v = VethPair.create("x0", n, "eth0", other.name())) {
            LinkInfo x0 = KernelState.requireLink(n, v.a().name());
            assertNull(x0.link(), "no peer name when the peer is elsewhere");
            assertTrue(x0.linkNetnsId() != null && x0.linkIndex() != null, x0.raw().toString());
            assertEquals(KernelState.requireLink(other.name(), "eth0").ifindex(), x0.linkIndex());
        }
    }

    @Test
    void vxlan() {
        LinkInfo vx = KernelState.requireLink(n, "vxlan42");
        assertEquals("vxlan", vx.kind());
        assertEquals(1450, vx.mtu(), "vxlan over a 1500 device gets 1450");
        VxlanInfo i = vx.vxlanInfo();
        assertEquals(42, i.id());
        assertEquals("10.9.0.1", i.local());
        assertEquals("va", i.link());
        assertEquals(8472, i.port());
        assertFalse(i.learning());
        assertFalse(i.gbp());
        assertTrue(i.udpCsum());
        assertNull(i.remote());
        assertNull(i.group());

        VxlanInfo g = KernelState.vxlanInfo(n, "vxgbp");
        assertEquals(7, g.id());
        assertEquals(4789, g.port());
        assertTrue(g.learning());
        assertTrue(g.gbp());
        assertFalse(g.udpCsum());
        assertNull(g.local());
        assertNull(g.link());
        assertTrue(KernelState.requireLink(n, "va").vxlan().isEmpty());
    }

    @Test
    void bridgePortsWithHairpin() {
        List<BridgePort> ports = KernelState.bridgePorts(n);
        assertEquals(List.of("vb"), ports.stream().map(BridgePort::ifname).toList());
        BridgePort vb = ports.get(0);
        assertTrue(vb.hairpin());
        assertEquals("br0", vb.master());
        assertEquals("forwarding", vb.state());
        assertTrue(vb.learning());
        ns.bridge("link", "set", "dev", "vb", "hairpin", "off");
        try {
            assertFalse(KernelState.bridgePort(n, "vb").orElseThrow().hairpin());
        } finally {
            ns.bridge("link", "set", "dev", "vb", "hairpin", "on");
        }
    }

    @Test
    void addresses() {
        List<AddrInfo> as = KernelState.addresses(n, "va");
        AddrInfo v4 = as.stream().filter(a -> a.family().equals("inet")).findFirst().orElseThrow();
        assertEquals("10.9.0.1", v4.local());
        assertEquals(24, v4.prefixlen());
        assertEquals("global", v4.scope());
        assertEquals("va", v4.label());
        assertEquals("va", v4.dev());
        assertEquals("10.9.0.1/24", v4.cidr());
        assertEquals(4294967295L, v4.validLifetime());

        AddrInfo v6 = as.stream().filter(a -> "fd00:9::1".equals(a.local())).findFirst().orElseThrow();
        assertTrue(v6.isIpv6());
        assertEquals(64, v6.prefixlen());
        assertTrue(v6.flags().contains("nodad"), v6.flags().toString());
        assertTrue(as.stream().anyMatch(a -> a.isIpv6() && "link".equals(a.scope())), "fe80:: link-local");

        assertTrue(KernelState.addresses(n).stream().anyMatch(a -> a.dev().equals("lo") && a.local().equals("127.0.0.1")));
    }

    private static RouteInfo route(List<RouteInfo> rs, String dst) {
        return rs.stream().filter(r -> dst.equals(r.dst())).findFirst()
                .orElseThrow(() -> new AssertionError("no route " + dst + " in " + rs));
    }

    @Test
    void routes() {
        List<RouteInfo> main = KernelState.routes(n, 4, "main");
        RouteInfo onlink = route(main, "10.20.0.0/24");
        assertEquals("unicast", onlink.type(), "absent type means unicast");
        assertEquals("10.9.0.2", onlink.gateway());
        assertEquals("va", onlink.dev());
        assertEquals(Set.of("onlink"), onlink.flags());
        assertEquals("main", onlink.table());
        assertEquals("boot", onlink.protocol());
        assertEquals("global", onlink.scope());
        assertEquals(0, onlink.metric());

        RouteInfo bh = route(main, "10.30.0.0/24");
        assertEquals("blackhole", bh.type());
        assertNull(bh.dev());
        assertNull(bh.gateway());

        assertEquals(77, route(main, "10.50.0.0/24").metric());

        RouteInfo connected = route(main, "10.9.0.0/24");
        assertEquals("kernel", connected.protocol());
        assertEquals("link", connected.scope());
        assertEquals("10.9.0.1", connected.prefsrc());

        RouteInfo def = route(main, "default");
        assertTrue(def.isDefault());
        assertEquals("10.9.0.254", def.gateway());

        assertTrue(main.stream().noneMatch(r -> "10.40.0.0/24".equals(r.dst())));
        List<RouteInfo> t100 = KernelState.routes(n, 4, "100");
        assertEquals(1, t100.size());
        assertEquals("10.40.0.0/24", t100.get(0).dst());
        assertEquals("100", t100.get(0).table());

        List<RouteInfo> all = KernelState.routes(n, 4, "all");
        assertEquals("100", route(all, "10.40.0.0/24").table());
        assertEquals("main", route(all, "10.20.0.0/24").table());
        RouteInfo local = route(all, "10.9.0.1");
        assertEquals("local", local.type());
        assertEquals("local", local.table());
        assertEquals("host", local.scope());

        assertEquals(List.of(), KernelState.routes(n, 4, "4242"), "table that does not exist is empty");

        List<RouteInfo> v6 = KernelState.routes(n, 6, "main");
        RouteInfo r6 = route(v6, "fd00:99::/64");
        assertEquals(5, r6.metric());
        assertEquals("fd00:9::2", r6.gateway());
        assertEquals(256, route(v6, "fd00:9::/64").metric());

        assertTrue(KernelState.routes(n, 0, "main").containsAll(List.of(onlink, r6)));
    }

    @Test
    void neighbours() {
        NeighInfo v4 = KernelState.neighbours(n, 4).stream().filter(x -> "10.9.0.5".equals(x.dst()))
                .findFirst().orElseThrow();
        assertEquals("va", v4.dev());
        assertEquals("02:00:00:00:00:05", v4.lladdr());
        assertEquals(List.of("PERMANENT"), v4.state());
        assertTrue(v4.isPermanent());

        List<NeighInfo> v6 = KernelState.neighbours(n, 6, "va");
        NeighInfo six = v6.stream().filter(x -> "fd00:9::5".equals(x.dst())).findFirst().orElseThrow();
        assertEquals("va", six.dev(), "dev filled in from the query");
        assertEquals("02:00:00:00:00:06", six.lladdr());
        assertTrue(KernelState.neighbours(n, 0).size() >= 2);
    }

    @Test
    void fdb() {
        List<FdbInfo> fdb = KernelState.fdb(n, "vxlan42");
        FdbInfo e = fdb.stream().filter(f -> "00:00:00:00:00:00".equals(f.mac())).findFirst().orElseThrow();
        assertEquals("192.168.213.9", e.dst());
        assertEquals("vxlan42", e.dev());
        assertEquals(Set.of("self"), e.flags());
        assertEquals("permanent", e.state());
        assertTrue(e.isPermanent());

        // bridge port: the port's own MAC is a permanent "master br0" entry
        String vbMac = KernelState.requireLink(n, "vb").address();
        FdbInfo own = KernelState.fdb(n, "vb").stream().filter(f -> vbMac.equals(f.mac())).findFirst().orElseThrow();
        assertEquals("br0", own.master());
    }

    @Test
    void rulesAreRawJson() {
        assertTrue(KernelState.rules(n, 4).stream().anyMatch(r -> "main".equals(r.path("table").asText())));
    }
}
