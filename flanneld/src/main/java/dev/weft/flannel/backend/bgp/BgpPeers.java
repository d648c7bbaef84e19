package dev.weft.flannel.backend.bgp;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.net.IpAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions a node wants, computed from the leases and the options. Pure. Mesh peers are the
 * other bgp leases (Calico's {@code Mesh_<ip>}); the lower address of a pair is passive, so a pair
 * has one TCP session. External peers are the {@code Peers} whose selector picks this node (an
 * IPv6 {@code PeerIP}: a session from the node's IPv6 address, carrying IPv6 unicast).
 *
 * <p>With a {@code RouteReflector}, the lease's {@code NodeName} decides each pair: two reflectors
 * always peer (a full mesh among them, as ordinary iBGP peers sharing the cluster id); a reflector
 * peers with every other node and marks it {@code rr client}; two non-reflectors peer only when
 * {@code NodeMesh} is on (Calico leaves reflectors out of the mesh and mesh-peers the rest).
 *
 * <p>Dual-stack: when both nodes of a pair publish an {@code IPv6Address}, the pair also has an
 * IPv6 session between those addresses carrying IPv6 unicast only, beside the IPv4 session that
 * carries IPv4 unicast only, by the same rules (passive side, reflector roles). That is Calico's
 * bird/bird6 split (one session per family, each between the nodes' addresses of that family), so a
 * Calico node or a BIRD/FRR ToR configured the usual way ({@code neighbor <v6> ... ipv6 {...}})
 * peers with it unchanged, the IPv4 sessions' OPEN is what it was, and the IPv6 routes' next hop
 * is the session's own local address, the node's IPv6 underlay address.
 */
final class BgpPeers {
    private static final Logger LOG = LoggerFactory.getLogger(BgpPeers.class);
    /** Calico's {@code connect retry time 5}. */
    static final int CONNECT_RETRY_SECONDS = 5;

    private BgpPeers() {
    }

    /**
     * @param self     this node's BGP address and AS
     * @param nodeName this node's name, for the external peers' selectors
     * @param leases   other nodes' bgp leases (never the own one)
     */
    static Map<IpAddress, AgentConfig.Peer> wanted(BgpLeaseData self, String nodeName, BgpOptions o, Collection<Lease> leases) {
        Map<IpAddress, AgentConfig.Peer> out = new LinkedHashMap<>();
        for (BgpOptions.ExternalPeer p : o.peers()) {
            // an IPv6 peer gets a session from the node's IPv6 address (none on an IPv4-only node), carrying IPv6 only
            IpAddress local = p.ip().isV6() ? self.ip6() : self.ip();
            if (local != null && p.selector().matches(nodeName) && !p.ip().equals(local)) {
                out.put(p.ip(), peer(local, p.ip(), p.asNumber(), false, p.password(), o));
            }
        }
        boolean selfReflects = o.reflects(nodeName);
        if (!o.nodeMesh() && o.routeReflector() == null) {
            return out;
        }
        for (Lease l : leases) {
            BgpLeaseData other;
            try {
                other = BgpLeaseData.of(l);
            } catch (IllegalArgumentException e) {
                LOG.warn("ignoring the bgp lease of {}: {}", l.subnet(), e.getMessage());
                continue;
            }
            String problem6 = other.address6() == null ? BgpLeaseData.address6Problem(l) : null; // read again only when dropped
            if (problem6 != null) {
                LOG.warn("no IPv6 session with the node of {} (its IPv4 session stays): {}", l.subnet(), problem6);
            }
            if (other.ip().equals(self.ip())) {
                continue;
            }
            boolean otherReflects = o.reflects(other.nodeName());
            if (!selfReflects && !otherReflects && !o.nodeMesh()) {
                continue; // two clients: they learn each other through the reflectors
            }
            // RFC 4456 reflects only iBGP: an eBGP neighbour is an ordinary peer whatever its role.
            boolean client = selfReflects && !otherReflects && other.as() == self.as();
            // an external peer's address wins, per family: it was configured on purpose
            if (!out.containsKey(other.ip())) {
                boolean passive = self.ip().compareTo(other.ip()) < 0;
                out.put(other.ip(), peer(self.ip(), other.ip(), other.as(), passive, "", o).withRrClient(client));
            }
            if (self.ip6() != null && other.ip6() != null && !other.ip6().equals(self.ip6()) && !out.containsKey(other.ip6())) {
                boolean passive6 = self.ip6().compareTo(other.ip6()) < 0;
                out.put(other.ip6(), peer(self.ip6(), other.ip6(), other.as(), passive6, "", o).withRrClient(client));
            }
        }
        return out;
    }

    /** A session between {@code local} and {@code ip}; its family is theirs (ipv4 or ipv6 unicast only). */
    private static AgentConfig.Peer peer(IpAddress local, IpAddress ip, long as, boolean passive, String password, BgpOptions o) {
        return new AgentConfig.Peer(ip.toString(), as, passive, password, o.holdSeconds(), o.keepaliveSeconds(),
                CONNECT_RETRY_SECONDS, null, null, null, null, null, local.toString());
    }
}
