package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.Underlay;

/**
 * A second L2 subnet joined to a cluster's underlay by a router namespace that forwards but knows
 * no pod route (Calico's CrossSubnet setting): the router is a node of the first underlay with a
 * second interface on the other one.
 */
final class TwoSubnets {
    static final String SUBNET_B = "192.168.20.0/24";

    final Underlay.Node router;
    final Underlay.Node routerB;

    private TwoSubnets(Underlay.Node router, Underlay.Node routerB) {
        this.router = router;
        this.routerB = routerB;
    }

    /** Adds the router and routes the cluster's existing hosts (nodes, etcd) to {@code b} through it. */
    static TwoSubnets join(SimCluster c, Underlay b) {
        Underlay.Node rt = c.underlay().addNode("rt");
        Underlay.Node rtB = b.addNode("rt");
        Cmd.run("ip", "-n", rtB.netns(), "link", "set", "eth0", "netns", rt.netns(), "name", "eth1");
        Cmd.run("ip", "-n", rt.netns(), "addr", "add", rtB.cidr(), "dev", "eth1");
        Cmd.run("ip", "-n", rt.netns(), "link", "set", "eth1", "up");
        Cmd.run("ip", "netns", "exec", rt.netns(), "sysctl", "-qw", "net.ipv4.ip_forward=1");
        for (SimCluster.Node n : c.nodes()) {
            Cmd.run("ip", "-n", n.host().netns(), "route", "add", b.subnet(), "via", rt.address());
        }
        Cmd.run("ip", "-n", c.underlay().node("etcd").orElseThrow().netns(), "route", "add", b.subnet(), "via", rt.address());
        return new TwoSubnets(rt, rtB);
    }

    /** A weftd node on the second subnet, routed back to the first through the router. */
    SimCluster.Node addNode(SimCluster c, Underlay b, String name) {
        return c.addNode(name, b, h -> Cmd.run("ip", "-n", h.netns(), "route", "add", c.underlay().subnet(), "via", routerB.address()));
    }
}
