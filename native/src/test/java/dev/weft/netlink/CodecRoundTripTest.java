package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** What an encoder writes, the matching decoder reads back: every codec that has both halves. */
class CodecRoundTripTest {
    static final Address ADDRESS = new Address(7, Cidr.parse("10.22.0.5/16"), Rt.RT_SCOPE_LINK,
            Rt.IFA_F_NOPREFIXROUTE | Rt.IFA_F_PERMANENT, "wt-a:1");
    static final Route ROUTE = Route.to(Cidr.parse("10.64.3.0/24")).via(IpAddress.parse("192.168.1.1")).dev(4)
            .withSrc(IpAddress.parse("192.168.1.9")).withPriority(100).inTable(1000).onlink().withProtocol(Rt.RTPROT_STATIC);
    static final Route MULTIPATH = Route.to(Cidr.parse("10.96.5.128/26")).withProtocol(88).withPriority(20).multipath(List.of(
            Route.NextHop.via(IpAddress.parse("10.100.99.22"), 3).onlink(),
            Route.NextHop.via(IpAddress.parse("10.100.99.23"), 3).withWeight(256),
            Route.NextHop.via(IpAddress.parse("10.100.99.24"), 0).withWeight(7)));
    static final Neighbour NEIGHBOUR = new Neighbour(9, IpAddress.parse("fd00::7"), MacAddress.parse("0a:58:0a:f4:01:02"),
            Rt.NUD_PERMANENT, Rt.NTF_SELF);
    static final FdbEntry FDB = FdbEntry.vtep(5, MacAddress.parse("0a:58:0a:f4:01:03"), IpAddress.parse("172.16.0.2"));

    /** The message body an encoder wrote, as the decoders see a body: from offset 0 to the end. */
    private static ByteBuffer body(Consumer<MessageWriter> encoder) {
        MessageWriter w = new MessageWriter(64); // small: the writer must grow on the way
        encoder.accept(w);
        return w.flip();
    }

    @Test
    void address() {
        ByteBuffer b = body(w -> AddressCodec.write(w, ADDRESS));
        assertEquals(ADDRESS, AddressCodec.decode(b, Rt.RTM_NEWADDR, 0, b.limit()));
        Address v6 = Address.of(3, Cidr.parse("fd00:1::2/64")).withFlags(Rt.IFA_F_NODAD);
        ByteBuffer b6 = body(w -> AddressCodec.write(w, v6));
        assertEquals(v6, AddressCodec.decode(b6, Rt.RTM_DELADDR, 0, b6.limit()));
        assertNull(AddressCodec.decode(b6, Rt.RTM_NEWROUTE, 0, b6.limit()), "another type is not an address");
    }

    @Test
    void route() {
        ByteBuffer b = body(w -> RouteCodec.write(w, ROUTE, false));
        assertEquals(ROUTE.withScope(Rt.RT_SCOPE_UNIVERSE), RouteCodec.decode(b, Rt.RTM_NEWROUTE, 0, b.limit()));
        Route local = Route.to(Cidr.parse("::/0")).dev(2).withType(Rt.RTN_BLACKHOLE);
        ByteBuffer b6 = body(w -> RouteCodec.write(w, local, false));
        assertEquals(local.withScope(Rt.RT_SCOPE_UNIVERSE), RouteCodec.decode(b6, Rt.RTM_NEWROUTE, 0, b6.limit()));
        ByteBuffer del = body(w -> RouteCodec.write(w, ROUTE, true));
        Route deleted = RouteCodec.decode(del, Rt.RTM_DELROUTE, 0, del.limit());
        assertEquals(Rt.RT_SCOPE_NOWHERE, deleted.scope(), "a delete asks for any scope");
        assertEquals(ROUTE.dst(), deleted.dst());
    }

    @Test
    void multipathRoute() {
        ByteBuffer b = body(w -> RouteCodec.write(w, MULTIPATH, false));
        Route back = RouteCodec.decode(b, Rt.RTM_NEWROUTE, 0, b.limit());
        assertEquals(MULTIPATH.withScope(Rt.RT_SCOPE_UNIVERSE), back);
        assertTrue(back.isMultipath());
        assertNull(back.gateway(), "a multipath route has no top-level gateway");

        Route v6 = Route.to(Cidr.parse("fd00:244:2::/64")).multipath(List.of(
                Route.NextHop.via(IpAddress.parse("fd00:99::2"), 5), Route.NextHop.via(IpAddress.parse("fd00:99::3"), 6).onlink()));
        ByteBuffer b6 = body(w -> RouteCodec.write(w, v6, false));
        assertEquals(v6.withScope(Rt.RT_SCOPE_UNIVERSE), RouteCodec.decode(b6, Rt.RTM_NEWROUTE, 0, b6.limit()));
    }

    @Test
    void protocolFilterSkipsOtherRoutesBeforeParsing() {
        ByteBuffer b = body(w -> RouteCodec.write(w, MULTIPATH, false));
        assertEquals(MULTIPATH.nexthops(), RouteCodec.decodeIf(b, Rt.RTM_NEWROUTE, 0, b.limit(), Rt.RT_TABLE_MAIN, 88).nexthops());
        assertNull(RouteCodec.decodeIf(b, Rt.RTM_NEWROUTE, 0, b.limit(), Rt.RT_TABLE_MAIN, 87), "another protocol");
        assertNull(RouteCodec.decodeIf(b, Rt.RTM_NEWROUTE, 0, b.limit(), 100, 88), "another table");
        assertEquals(MULTIPATH.dst(), RouteCodec.decodeIf(b, Rt.RTM_NEWROUTE, 0, b.limit(), Rt.RT_TABLE_UNSPEC, 0).dst());
    }

    @Test
    void neighbourAndFdb() {
        ByteBuffer n = body(w -> NeighbourCodec.write(w, NEIGHBOUR));
        assertEquals(NEIGHBOUR, NeighbourCodec.decode(n, Rt.RTM_NEWNEIGH, 0, n.limit()));
        assertNull(FdbCodec.decode(n, Rt.RTM_NEWNEIGH, 0, n.limit()), "an ARP/NDP entry is not an FDB entry");
        ByteBuffer f = body(w -> FdbCodec.write(w, FDB));
        assertEquals(FDB, FdbCodec.decode(f, Rt.RTM_NEWNEIGH, 0, f.limit()));
        assertNull(NeighbourCodec.decode(f, Rt.RTM_NEWNEIGH, 0, f.limit()), "an FDB entry is not an ARP/NDP entry");
    }

    @Test
    void vxlanLink() {
        LinkSpec.Vxlan spec = new LinkSpec.Vxlan("wt-flannel.1", 1, 8472).withLocal(IpAddress.parse("192.168.5.2"))
                .withLinkIndex(3).withGbp(true).withMtu(1450).withMac(MacAddress.parse("0a:58:0a:f4:01:04"));
        ByteBuffer b = body(w -> LinkCodec.writeSpec(w, spec));
        Link l = LinkCodec.decode(b, Rt.RTM_NEWLINK, 0, b.limit());
        assertEquals("wt-flannel.1", l.name());
        assertEquals("vxlan", l.kind());
        assertEquals(1450, l.mtu());
        assertEquals(spec.mac(), l.mac());
        assertEquals(new VxlanInfo(1, spec.local(), 3, 8472, false, true, true), l.vxlan());
    }

    @Test
    void otherLinkKinds() {
        for (LinkSpec spec : List.of(new LinkSpec.Veth("wt-a", "wt-b"), new LinkSpec.Dummy("wt-d").withMtu(9000),
                new LinkSpec.Bridge("wt-br", 0, null, -1, true))) {
            ByteBuffer b = body(w -> LinkCodec.writeSpec(w, spec));
            Link l = LinkCodec.decode(b, Rt.RTM_NEWLINK, 0, b.limit());
            assertEquals(spec.name(), l.name());
            assertEquals(LinkCodec.kindOf(spec), l.kind());
            assertEquals(spec.mtu(), l.mtu());
            assertNull(l.vxlan());
        }
    }

    @Test
    void hairpin() {
        ByteBuffer on = body(w -> LinkCodec.writeHairpin(w, 12, true));
        assertTrue(LinkCodec.decodeHairpin(on, Rt.RTM_NEWLINK, 0, on.limit(), 12));
        assertNull(LinkCodec.decodeHairpin(on, Rt.RTM_NEWLINK, 0, on.limit(), 13), "another port's message");
        ByteBuffer off = body(w -> LinkCodec.writeHairpin(w, 12, false));
        assertFalse(LinkCodec.decodeHairpin(off, Rt.RTM_NEWLINK, 0, off.limit(), 12));
    }

    @Test
    void bridgeVlans() {
        ByteBuffer one = body(w -> BridgeVlanCodec.write(w, 4, 7, 7, Rt.BRIDGE_VLAN_INFO_PVID | Rt.BRIDGE_VLAN_INFO_UNTAGGED, false));
        assertEquals(List.of(new BridgeVlan(7, true, true)), BridgeVlanCodec.decode(one, Rt.RTM_NEWLINK, 0, one.limit(), 4));
        ByteBuffer range = body(w -> BridgeVlanCodec.write(w, 4, 10, 20, 0, true));
        assertEquals(List.of(new BridgeVlan(10, false, false), new BridgeVlan(20, false, false)),
                BridgeVlanCodec.decode(range, Rt.RTM_NEWLINK, 0, range.limit(), 4), "a range travels as its two ends");
    }
}
