package dev.weft.testkit.bgp;

import dev.weft.testkit.Underlay;

import java.util.List;

/**
 * One L2 segment for BGP speakers: a {@code wt-} namespace holding a bridge, and one {@code wt-}
 * namespace per speaker whose {@code eth0} hangs off that bridge with an IPv4 address from
 * {@link #DEFAULT_SUBNET} and an IPv6 address (nodad) from {@link #DEFAULT_SUBNET6}, {@code lo} up
 * (GoBGP's API listens on loopback). The first speaker gets .1 / ::1, the second .2 / ::2, ...
 *
 * <p>A thin, BGP-flavoured face of {@link Underlay}, which already owns the wiring and the
 * always-remove-on-close guarantee; a speaker is an {@link Underlay.Node}.
 *
 * <pre>{@code
 * try (BgpLan lan = BgpLan.create()) {
 *     Underlay.Node a = lan.addSpeaker("a"), b = lan.addSpeaker("b");   // 10.99.0.1, 10.99.0.2
 * }
 * }</pre>
 */
public final class BgpLan implements AutoCloseable {
    public static final String DEFAULT_SUBNET = "10.99.0.0/24";
    public static final String DEFAULT_SUBNET6 = "fd00:99::/64";

    private final Underlay underlay;

    private BgpLan(Underlay underlay) {
        this.underlay = underlay;
    }

    /** 10.99.0.0/24 and fd00:99::/64. */
    public static BgpLan create() {
        return create(DEFAULT_SUBNET, DEFAULT_SUBNET6);
    }

    /** Own subnets: each LAN lives in its own namespaces, so only the speakers of one LAN must differ. */
    public static BgpLan create(String subnet, String subnet6) {
        return new BgpLan(Underlay.builder().subnet(subnet).ipv6Subnet(subnet6).build());
    }

    /** Adds a speaker namespace with eth0 addressed and up. */
    public Underlay.Node addSpeaker(String label) {
        return underlay.addNode(label);
    }

    /** Deletes a speaker's namespace (stop its daemons first). */
    public void removeSpeaker(String label) {
        underlay.removeNode(label);
    }

    public List<Underlay.Node> speakers() {
        return underlay.nodes();
    }

    /** The namespace holding the bridge (e.g. for {@code tcpdump -i br0}). */
    public String bridgeNetns() {
        return underlay.netns();
    }

    /** Takes the speaker's bridge port down (its sessions lose the link without any TCP goodbye). */
    public void disconnect(String label) {
        underlay.disconnect(label);
    }

    public void reconnect(String label) {
        underlay.reconnect(label);
    }

    @Override
    public void close() {
        underlay.close();
    }

    @Override
    public String toString() {
        return "BgpLan[" + underlay + "]";
    }
}
