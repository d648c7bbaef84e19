package dev.weft.cni.bridge;

import dev.weft.cni.spec.CniError;
import dev.weft.libc.Errno;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.RtNetlink;
import java.util.Optional;

/**
 * The gateway of a VLAN when {@code vlan} and {@code isGateway} are both set. The bridge's own
 * address would sit on its default VLAN, which the pods of a VLAN cannot reach, so the reference
 * gives each VLAN a leg into the bridge: a veth pair in the node's namespace, one end named
 * {@code <bridge>.<vlan>} carrying the gateway address, the other a {@code veth…} port of the
 * bridge that is an access port of the VLAN. It is shared by every pod on that VLAN: made by the
 * first ADD, reused by the next, never removed by DEL (as in the reference).
 */
final class VlanGateway {
    private static final int IFNAMSIZ = 16;

    private VlanGateway() {
    }

    static String name(String bridge, int vlan) {
        return bridge + "." + vlan;
    }

    /** The gateway interface, made if missing. */
    static Link ensure(RtNetlink host, Link br, BridgeConfig cfg) {
        String name = name(br.name(), cfg.vlan());
        Optional<Link> existing = host.link(name);
        if (existing.isPresent()) {
            return existing.get();
        }
        if (name.length() >= IFNAMSIZ) {
            throw new CniError(CniError.INVALID_CONFIG, "failed to create vlan interface: name \"" + name
                    + "\" is longer than 15 characters", "use a shorter bridge name");
        }
        String port = createPair(host, name, br.mtu());
        if (port == null) {
            return host.requireLink(name); // a concurrent ADD on the same VLAN made it first
        }
        try {
            Link portLink = host.requireLink(port);
            host.setMaster(portLink.index(), br.index());
            PortVlans.configure(host, portLink.index(), port, cfg.vlan(), VlanTrunk.NONE, cfg.preserveDefaultVlan());
            host.setUp(portLink.index());
            Sysctls.setIfPresent("net/ipv6/conf/" + port + "/accept_ra", "0");
            Link gw = host.requireLink(name);
            host.setUp(gw.index());
            return host.requireLink(name);
        } catch (RuntimeException e) {
            // Half made, it would be reused as it is by the next ADD: remove it (its peer goes too).
            try {
                host.link(name).ifPresent(l -> host.delete(l.index()));
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates the pair {@code name} + a random {@code veth…} port end; returns the port end's name,
     * or null when {@code name} appeared meanwhile.
     */
    private static String createPair(RtNetlink host, String name, int mtu) {
        for (int i = 0; i < 10; i++) {
            String port = VethPair.randomName();
            try {
                host.create(new LinkSpec.Veth(name, port).withMtu(mtu));
                return port;
            } catch (NetlinkException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
                if (host.link(port).isEmpty()) {
                    if (host.link(name).isPresent()) {
                        return null;
                    }
                    throw e;
                }
            }
        }
        throw new CniError(CniError.INTERNAL, "failed to find a free veth name for the gateway of " + name);
    }
}
