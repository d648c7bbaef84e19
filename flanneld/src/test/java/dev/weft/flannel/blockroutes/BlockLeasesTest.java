package dev.weft.flannel.blockroutes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.nodes.NodeRecord;
import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which leases blocks and registrations make: a block routed to its confirmed, registered owner
 * (never this node), a /32 for each address another registered node borrowed, nothing for what
 * names an unknown node, an unconfirmed block, or (for a backend that routes IPv4 only) an IPv6
 * block; IPv6 blocks and borrowed /128s as leases of their own with an IPv6 half only, however many
 * blocks of each family a node holds; and the feeder's snapshots, delivered only once both halves
 * are known and only when a route moved.
 */
class BlockLeasesTest {
    static NodeRecord node(String name, String ip) {
        return new NodeRecord(name, LeaseAttrs.of(IpAddress.parse(ip), "host-gw", null), 1, 1, 0);
    }

    static final Map<String, NodeRecord> NODES = Map.of("n2", node("n2", "192.168.1.2"), "n3", node("n3", "192.168.1.3"));

    static AllocationBlock block(String cidr, String owner, String... users) {
        AllocationBlock b = AllocationBlock.create(Cidr.parse(cidr), owner, 1);
        int i = 0;
        for (String u : users) {
            b = b.assign("h" + i++, Map.of("node", u)).block();
        }
        return b;
    }

    static NodeRecord dualNode(String name, String ip, String ip6) {
        return new NodeRecord(name, new LeaseAttrs(IpAddress.parse(ip), ip6 == null ? null : IpAddress.parse(ip6), "host-gw", null, null),
                1, 1, 0);
    }

    static List<String> routes(List<Lease> ls) {
        List<String> out = new ArrayList<>();
        // each lease has one family: the IPv4 one's v6 half is empty, the IPv6 one's v4 half
        ls.forEach(l -> out.add(l.subnet() != null ? l.subnet() + " via " + l.attrs().publicIp() + (l.subnetV6() == null ? "" : " + v6?")
                : l.subnetV6() + " via " + l.attrs().publicIpV6()));
        return out;
    }

    @Test
    void ipv6BlocksAndBorrowedAddressesAreLeasesOfTheirOwnViaTheNodesIpv6Address() {
        Map<String, NodeRecord> nodes = Map.of("n2", dualNode("n2", "192.168.1.2", "fd00:1::2"),
                "n3", dualNode("n3", "192.168.1.3", "fd00:1::3"), "old", dualNode("old", "192.168.1.4", null));
        BlockSet set = new BlockSet(List.of(
                block("10.0.0.0/29", "n2", "n2"),              // n2: two IPv4 blocks and one IPv6 block
                block("10.0.0.8/29", "n2", "n2"),
                block("fd00:244::/125", "n2", "n2", "n3"),     // n3 borrowed fd00:244::1
                block("fd00:244::8/125", "n3", "n3"),          // n3: no IPv4 block, one IPv6 block
                block("fd00:244::10/125", "old", "old"),       // a node registered without PublicIPv6
                block("fd00:244::18/125", "self", "self", "n2")), // self's; n2 borrowed fd00:244::19
                Set.of(BlockSet.affinity("n2", Cidr.parse("10.0.0.0/29")), BlockSet.affinity("n2", Cidr.parse("10.0.0.8/29")),
                        BlockSet.affinity("n2", Cidr.parse("fd00:244::/125")), BlockSet.affinity("n3", Cidr.parse("fd00:244::8/125")),
                        BlockSet.affinity("old", Cidr.parse("fd00:244::10/125")),
                        BlockSet.affinity("self", Cidr.parse("fd00:244::18/125"))));
        BlockLeases.Result r = BlockLeases.of(set, nodes, "self", true);
        assertEquals(List.of("10.0.0.0/29 via 192.168.1.2", "10.0.0.8/29 via 192.168.1.2", "fd00:244::/125 via fd00:1::2",
                "fd00:244::1/128 via fd00:1::3", "fd00:244::8/125 via fd00:1::3", "fd00:244::19/128 via fd00:1::2"), routes(r.leases()));
        assertEquals(Set.of("old"), r.noIpv6Address(), "old's IPv6 block has nothing to be routed via");
        // keys never collide with a subnet key, and differ per block
        assertEquals(List.of("10.0.0.0-29", "10.0.0.8-29", "fd00:244::-125", "fd00:244::1-128", "fd00:244::8-125", "fd00:244::19-128"),
                r.leases().stream().map(Lease::key).toList());
        // a backend that routes IPv4 only (the default) gets the IPv4 blocks alone, and hears of no missing address
        assertEquals(List.of("10.0.0.0/29 via 192.168.1.2", "10.0.0.8/29 via 192.168.1.2"), routes(BlockLeases.of(set, nodes, "self")));
        assertEquals(Set.of(), BlockLeases.of(set, nodes, "self", false).noIpv6Address());
    }

    @Test
    void theFeederFollowsIpv6BlocksAsIpv4Ones() {
        List<LeaseEvent.Snapshot> got = new ArrayList<>();
        BlockRoutes r = new BlockRoutes("self", e -> got.add((LeaseEvent.Snapshot) e), true);
        Map<String, NodeRecord> nodes = Map.of("n2", dualNode("n2", "192.168.1.2", "fd00:1::2"));
        Cidr v4 = Cidr.parse("10.0.0.0/29");
        Cidr v6 = Cidr.parse("fd00:244::/125");
        Cidr v6b = Cidr.parse("fd00:244::8/125");
        r.nodes(nodes);
        r.blocks(new BlockSet(List.of(block("10.0.0.0/29", "n2", "n2"), block("fd00:244::/125", "n2", "n2")),
                Set.of(BlockSet.affinity("n2", v4), BlockSet.affinity("n2", v6))));
        assertEquals(List.of("10.0.0.0/29 via 192.168.1.2", "fd00:244::/125 via fd00:1::2"), routes(got.get(0).leases()));
        // n2 claims a second IPv6 block (and no IPv4 one): only that route is new
        r.blocks(new BlockSet(List.of(block("10.0.0.0/29", "n2", "n2"), block("fd00:244::/125", "n2", "n2"),
                block("fd00:244::8/125", "n2", "n2")),
                Set.of(BlockSet.affinity("n2", v4), BlockSet.affinity("n2", v6), BlockSet.affinity("n2", v6b))));
        assertEquals(2, got.size());
        assertEquals(List.of("fd00:244::8/125 via fd00:1::2"), routes(got.get(1).added()));
        assertEquals(List.of(), got.get(1).removed());
        // the first IPv6 block is released: its route alone goes
        r.blocks(new BlockSet(List.of(block("10.0.0.0/29", "n2", "n2"), block("fd00:244::8/125", "n2", "n2")),
                Set.of(BlockSet.affinity("n2", v4), BlockSet.affinity("n2", v6b))));
        assertEquals(List.of("fd00:244::/125 via fd00:1::2"), routes(got.get(2).removed()));
        assertEquals(List.of("10.0.0.0/29 via 192.168.1.2", "fd00:244::8/125 via fd00:1::2"), routes(List.copyOf(r.view())));
        // n2 is gone: all of its routes, both families
        r.nodes(Map.of());
        assertEquals(List.of("10.0.0.0/29 via 192.168.1.2", "fd00:244::8/125 via fd00:1::2"), routes(got.get(3).removed()));
        assertEquals(List.of(), got.get(3).leases());
    }

    @Test
    void blocksGoToTheirConfirmedOwnerAndBorrowedAddressesToTheBorrower() {
        BlockSet set = new BlockSet(List.of(
                block("10.0.0.0/26", "self", "self", "n2"),       // own block; n2 borrowed .1
                block("10.0.0.64/26", "n2", "n2", "n3", "self"),  // n2's; n3 borrowed .65, self .66 (local: no route)
                block("10.0.0.128/26", "ghost", "ghost", "n3"),   // a node not registered: only n3's borrowed .129
                block("10.0.0.192/26", "n3"),                     // n3's, but its claim is not confirmed
                block("fd00::/122", "n2", "n2")),                 // IPv6: not routed by these backends
                Set.of(BlockSet.affinity("self", Cidr.parse("10.0.0.0/26")), BlockSet.affinity("n2", Cidr.parse("10.0.0.64/26")),
                        BlockSet.affinity("ghost", Cidr.parse("10.0.0.128/26")), BlockSet.affinity("n2", Cidr.parse("fd00::/122"))));
        assertEquals(List.of("10.0.0.1/32 via 192.168.1.2", "10.0.0.64/26 via 192.168.1.2", "10.0.0.65/32 via 192.168.1.3",
                "10.0.0.129/32 via 192.168.1.3"), routes(BlockLeases.of(set, NODES, "self")));
        // seen from n2: the own block is not routed, self's block is (self registered), and its borrowed .1 is local
        Map<String, NodeRecord> fromN2 = Map.of("self", node("self", "192.168.1.1"), "n3", node("n3", "192.168.1.3"));
        assertEquals(List.of("10.0.0.0/26 via 192.168.1.1", "10.0.0.65/32 via 192.168.1.3", "10.0.0.66/32 via 192.168.1.1",
                "10.0.0.129/32 via 192.168.1.3"), routes(BlockLeases.of(set, fromN2, "n2")));
    }

    @Test
    void theFeederWaitsForBothHalvesAndDeliversOnlyMovedRoutes() {
        List<LeaseEvent.Snapshot> got = new ArrayList<>();
        BlockRoutes r = new BlockRoutes("self", e -> got.add((LeaseEvent.Snapshot) e));
        Cidr b = Cidr.parse("10.0.0.64/26");
        BlockSet one = new BlockSet(List.of(block("10.0.0.64/26", "n2", "n2")), Set.of(BlockSet.affinity("n2", b)));
        r.blocks(one);
        assertEquals(0, got.size(), "no nodes known yet: nothing delivered");
        r.nodes(NODES);
        assertEquals(1, got.size());
        assertEquals(List.of("10.0.0.64/26 via 192.168.1.2"), routes(got.get(0).leases()));
        // a pod ADD inside n2's block, a renewal of n2 (new revision): no route moves
        r.blocks(new BlockSet(List.of(block("10.0.0.64/26", "n2", "n2", "n2")), one.confirmed()));
        r.nodes(Map.of("n2", new NodeRecord("n2", NODES.get("n2").attrs(), 1, 9, 5000), "n3", NODES.get("n3")));
        assertEquals(1, got.size());
        // n2's registration goes: its block with it
        r.nodes(Map.of("n3", NODES.get("n3")));
        assertEquals(2, got.size());
        assertEquals(List.of(), got.get(1).leases());
        assertEquals(List.of("10.0.0.64/26 via 192.168.1.2"), routes(got.get(1).removed()));
        assertEquals(List.of(), List.copyOf(r.view()));
    }
}
