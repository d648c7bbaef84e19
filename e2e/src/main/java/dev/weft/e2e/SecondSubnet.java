package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.Underlay;

/**
 * A second L2 subnet joined to a {@link SimCluster}'s underlay by a router namespace that forwards
 * and knows no pod route, for CrossSubnet: the router is a node of the cluster's underlay with a
 * second interface on this subnet, and the cluster's hosts (etcd included) route this subnet through
 * it. Close before the cluster (the router goes with the cluster's underlay).
 */
public final class SecondSubnet implements AutoCloseable {
    private final Underlay underlay;
    private final Underlay.Node router;
    private final Underlay.Node routerHere;

    private SecondSubnet(Underlay underlay, Underlay.Node router, Underlay.Node routerHere) {
        this.underlay = underlay;
        this.router = router;
        this.routerHere = routerHere;
    }

    /** Builds the subnet and the router; every host already on the cluster's underlay gets the route. */
    public static SecondSubnet join(SimCluster c, String subnet) {
        Underlay b = Underlay.builder().subnet(subnet).build();
        try {
            Underlay.Node rt = c.underlay().addNode("rt");
            Underlay.Node rtB = b.addNode("rt");
            Cmd.run("ip", "-n", rtB.netns(), "link", "set", "eth0", "netns", rt.netns(), "name", "eth1");
            Cmd.run("ip", "-n", rt.netns(), "addr", "add", rtB.cidr(), "dev", "eth1");
            Cmd.run("ip", "-n", rt.netns(), "link", "set", "eth1", "up");
            Cmd.run("ip", "netns", "exec", rt.netns(), "sysctl", "-qw", "net.ipv4.ip_forward=1");
            for (Underlay.Node h : c.underlay().nodes()) {
                if (!h.equals(rt)) {
                    Cmd.run("ip", "-n", h.netns(), "route", "add", subnet, "via", rt.address());
                }
            }
            return new SecondSubnet(b, rt, rtB);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** Starts a node of the cluster on this subnet, routing the cluster's underlay through the router. */
    public SimCluster.Node addNode(SimCluster c, String name) {
        return c.addNode(name, underlay, h -> Cmd.run("ip", "-n", h.netns(), "route", "add", c.underlay().subnet(),
                "via", routerHere.address()));
    }

    /** The router's namespace (its eth0 on the cluster's underlay, eth1 here). */
    public Underlay.Node router() {
        return router;
    }

    public Underlay underlay() {
        return underlay;
    }

    @Override
    public void close() {
        underlay.close();
    }
}
