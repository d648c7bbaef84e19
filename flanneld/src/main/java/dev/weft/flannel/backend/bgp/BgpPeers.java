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
 * has one TCP session. External peers are the {@code Peers} whose selector picks this node.
 *
 * <p>With a {@code RouteReflector}, the lease's {@code NodeName} decides each pair: two reflectors
 * always peer (a full mesh among them, as ordinary iBGP peers sharing the cluster id); a reflector
 * peers with every other node and marks it {@code rr client}; two non-reflectors peer only when
 * {@code NodeMesh} is on (Calico leaves reflectors out of the mesh and mesh-peers the rest).
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
            if (p.selector().matches(nodeName) && !p.ip().equals(self.ip())) {
                out.put(p.ip(), peer(self, p.ip(), p.asNumber(), false, p.password(), o));
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
            if (other.ip().equals(self.ip()) || out.containsKey(other.ip())) {
                continue; // an external peer's address wins: it was configured on purpose
            }
            boolean otherReflects = o.reflects(other.nodeName());
            if (!selfReflects && !otherReflects && !o.nodeMesh()) {
                continue; // two clients: they learn each other through the reflectors
            }
            boolean passive = self.ip().compareTo(other.ip()) < 0;
            // RFC 4456 reflects only iBGP: an eBGP neighbour is an ordinary peer whatever its role.
            boolean client = selfReflects && !otherReflects && other.as() == self.as();
            out.put(other.ip(), peer(self, other.ip(), other.as(), passive, "", o).withRrClient(client));
        }
        return out;
    }

    private static AgentConfig.Peer peer(BgpLeaseData self, IpAddress ip, long as, boolean passive, String password, BgpOptions o) {
        return new AgentConfig.Peer(ip.toString(), as, passive, password, o.holdSeconds(), o.keepaliveSeconds(),
                CONNECT_RETRY_SECONDS, null, null, null, null, null, self.ip().toString());
    }
}
