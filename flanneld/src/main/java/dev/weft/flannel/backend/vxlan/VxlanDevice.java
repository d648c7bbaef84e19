package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.libc.Errno;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netlink.VxlanInfo;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One flannel vxlan device ({@code flannel.<VNI>} or {@code flannel-v6.<VNI>}): created with a MAC
 * chosen beforehand (so udev's MACAddressPolicy cannot change it), reused when an existing device
 * is compatible, recreated when not. The MAC is chosen once per process: the saved one, else that
 * of a device already there, else a random locally administered one; every later recreation (by
 * the link watcher) uses it again.
 */
final class VxlanDevice {
    private static final Logger LOG = LoggerFactory.getLogger(VxlanDevice.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What the device must look like.
     *
     * @param port as configured: 0 sends no port attribute and the kernel picks 8472
     */
    record Spec(LeaseFamily family, String name, int vni, IpAddress local, int extIndex, int port, boolean learning,
                boolean gbp, int mtu) {
        int effectivePort() {
            return port == 0 ? VxlanOptions.KERNEL_DEFAULT_PORT : port;
        }
    }

    private final RtNetlink nl;
    private final Spec spec;
    private final MacStore store;
    private final BackendContext ctx;
    private volatile Link link;
    private MacAddress mac;

    VxlanDevice(RtNetlink nl, Spec spec, MacStore store, BackendContext ctx) {
        this.nl = nl;
        this.spec = spec;
        this.store = store;
        this.ctx = ctx;
    }

    String name() {
        return spec.name();
    }

    LeaseFamily family() {
        return spec.family();
    }

    int index() {
        Link l = link;
        if (l == null) {
            throw new IllegalStateException(spec.name() + " not created yet");
        }
        return l.index();
    }

    MacAddress mac() {
        if (mac == null) {
            throw new IllegalStateException(spec.name() + " not created yet");
        }
        return mac;
    }

    int mtu() {
        return spec.mtu();
    }

    /** Makes sure the device exists as specified, with our MAC; returns it. */
    synchronized Link ensure() {
        for (int attempt = 1; ; attempt++) {
            Optional<Link> existing = nl.link(spec.name());
            MacAddress hint = null;
            if (existing.isPresent()) {
                Link l = existing.get();
                String why = incompatibility(spec, l);
                if (why == null) {
                    LOG.debug("reusing existing device {} (#{})", spec.name(), l.index());
                    if (mac == null) {
                        mac = isUnicast(l.mac()) ? l.mac() : store.load(spec.name()).orElse(MacAddress.randomLocal(RANDOM));
                    }
                    return finish(l);
                }
                LOG.warn("\"{}\" already exists with incompatible configuration: {}; recreating device", spec.name(), why);
                hint = isUnicast(l.mac()) ? l.mac() : null;
                try {
                    nl.delete(l.index());
                } catch (NetlinkException e) {
                    if (!e.isNotFound()) {
                        throw new BackendException("failed to delete interface " + spec.name() + ": " + e.getMessage(), e);
                    }
                }
            }
            if (mac == null) {
                mac = store.load(spec.name()).orElse(hint != null ? hint : MacAddress.randomLocal(RANDOM));
            }
            try {
                nl.create(linkSpec());
            } catch (NetlinkException e) {
                if (e.errno() == Errno.EEXIST && attempt < 3) {
                    continue; // appeared in between (a racing recreation): look again
                }
                throw new BackendException("failed to create vxlan interface " + spec.name() + ": " + e.getMessage(), e);
            }
            LOG.info("created vxlan device {} ({}, MAC {})", spec.name(), describe(spec), mac);
            return finish(nl.requireLink(spec.name()));
        }
    }

    private LinkSpec.Vxlan linkSpec() {
        return new LinkSpec.Vxlan(spec.name(), spec.vni(), spec.port())
                .withLocal(spec.local())
                .withLinkIndex(spec.extIndex())
                .withLearning(spec.learning())
                .withGbp(spec.gbp())
                .withUdpChecksum(false) // as flannel's netlink library sends it
                .withMtu(spec.mtu())
                .withMac(mac);
    }

    private Link finish(Link l) {
        if (!mac.equals(l.mac())) {
            nl.setMac(l.index(), mac);
            l = nl.requireLink(spec.name());
            if (!mac.equals(l.mac())) {
                throw new BackendException(spec.name() + " has MAC " + l.mac() + " although " + mac + " was set");
            }
        }
        if (l.mtu() != spec.mtu()) {
            try {
                nl.setMtu(l.index(), spec.mtu());
            } catch (NetlinkException e) {
                // flannel subtracts 50 even over IPv6, where the kernel allows at most link MTU - 70:
                // keep what the kernel chose, as flannel ends up doing.
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
                LOG.info("{}: the kernel refuses MTU {}, keeping {}", spec.name(), spec.mtu(), l.mtu());
            }
        }
        store.save(spec.name(), mac);
        try {
            ctx.writeSysctl("net/ipv6/conf/" + spec.name() + "/accept_ra", "0");
        } catch (RuntimeException e) {
            LOG.debug("could not set accept_ra=0 on {}: {}", spec.name(), e.toString()); // no IPv6: nothing to accept
        }
        link = l;
        return l;
    }

    /**
     * Gives the device {@code ownSubnet}'s network address as a host address (/32 or /128), removes
     * other addresses of the flannel network from it, and brings it up.
     */
    synchronized void configure(Cidr ownSubnet, Cidr network) {
        int idx = index();
        Cidr want = Cidr.of(ownSubnet.networkAddress(), spec.family().hostPrefix());
        boolean present = false;
        for (Address a : nl.addresses(spec.family().af(), idx)) {
            if (a.cidr().equals(want)) {
                present = true;
            } else if (network != null && network.contains(a.cidr().address())) {
                LOG.info("removing stale address {} from {}", a.cidr(), spec.name());
                nl.deleteAddress(a);
            }
        }
        if (!present) {
            Address a = Address.of(idx, want);
            nl.addAddress(spec.family() == LeaseFamily.V6 ? a.withFlags(Rt.IFA_F_NODAD) : a);
        }
        nl.setUp(idx);
    }

    /** Why an existing link cannot serve as this device, or null when it can. */
    static String incompatibility(Spec want, Link have) {
        VxlanInfo v = have.vxlan();
        if (!"vxlan".equals(have.kind()) || v == null) {
            return "link type: " + have.kind() + " vs vxlan";
        }
        if (v.vni() != want.vni()) {
            return "vni: " + v.vni() + " vs " + want.vni();
        }
        if (v.linkIndex() > 0 && want.extIndex() > 0 && v.linkIndex() != want.extIndex()) {
            return "vtep (external) interface: " + v.linkIndex() + " vs " + want.extIndex();
        }
        if (v.local() != null && want.local() != null && !v.local().equals(want.local())) {
            return "vtep (external) IP: " + v.local() + " vs " + want.local();
        }
        if (v.port() > 0 && v.port() != want.effectivePort()) {
            return "port: " + v.port() + " vs " + want.effectivePort();
        }
        if (v.gbp() != want.gbp()) {
            return "gbp: " + v.gbp() + " vs " + want.gbp();
        }
        if (v.learning() != want.learning()) {
            return "learning: " + v.learning() + " vs " + want.learning();
        }
        return null;
    }

    private static boolean isUnicast(MacAddress m) {
        return m != null && !m.isMulticast() && m.toLong() != 0;
    }

    private static String describe(Spec s) {
        return "VNI " + s.vni() + ", local " + s.local() + ", dev #" + s.extIndex() + ", port " + s.effectivePort()
                + (s.learning() ? ", learning" : ", nolearning") + (s.gbp() ? ", gbp" : "") + ", mtu " + s.mtu();
    }

    @Override
    public String toString() {
        return spec.name() + (link == null ? "" : "#" + link.index());
    }

    static Spec spec(LeaseFamily family, VxlanOptions o, String name, IpAddress local, int extIndex, int extMtu) {
        Objects.requireNonNull(local, () -> "no " + family + " address on the external interface for " + name);
        return new Spec(family, name, o.vni(), local, extIndex, o.port(), o.learning(), o.gbp(), o.deviceMtu(extMtu));
    }
}
