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
 * names an unknown node, an unconfirmed block, or an IPv6 block; and the feeder's
 * snapshots, delivered only once both halves are known and only when a route moved.
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

    static List<String> routes(List<Lease> ls) {
        List<String> out = new ArrayList<>();
        ls.forEach(l -> out.add(l.subnet() + " via " + l.attrs().publicIp()));
        return out;
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
