package dev.weft.netlink;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;

/**
 * What to create: a closed set of link kinds. {@code mtu} 0 and a null {@code mac} mean "kernel
 * default"; {@code netnsFd} -1 means "this socket's namespace".
 */
public sealed interface LinkSpec {
    String name();

    int mtu();

    MacAddress mac();

    int netnsFd();

    /** A veth pair. The peer may be created straight inside another namespace ({@code peerNetnsFd}). */
    record Veth(String name, String peerName, int mtu, MacAddress mac, MacAddress peerMac, int netnsFd,
                int peerNetnsFd) implements LinkSpec {
        public Veth(String name, String peerName) {
            this(name, peerName, 0, null, null, -1, -1);
        }

        public Veth withMtu(int m) {
            return new Veth(name, peerName, m, mac, peerMac, netnsFd, peerNetnsFd);
        }

        public Veth withMac(MacAddress m) {
            return new Veth(name, peerName, mtu, m, peerMac, netnsFd, peerNetnsFd);
        }

        public Veth withPeerMac(MacAddress m) {
            return new Veth(name, peerName, mtu, mac, m, netnsFd, peerNetnsFd);
        }

        public Veth inNetns(int fd) {
            return new Veth(name, peerName, mtu, mac, peerMac, fd, peerNetnsFd);
        }

        public Veth withPeerInNetns(int fd) {
            return new Veth(name, peerName, mtu, mac, peerMac, netnsFd, fd);
        }
    }

    record Bridge(String name, int mtu, MacAddress mac, int netnsFd, boolean vlanFiltering) implements LinkSpec {
        public Bridge(String name) {
            this(name, 0, null, -1, false);
        }

        public Bridge withMtu(int m) {
            return new Bridge(name, m, mac, netnsFd, vlanFiltering);
        }

        public Bridge withMac(MacAddress m) {
            return new Bridge(name, mtu, m, netnsFd, vlanFiltering);
        }

        public Bridge withVlanFiltering(boolean on) {
            return new Bridge(name, mtu, mac, netnsFd, on);
        }
    }

    /**
     * A vxlan device in external-FDB mode as flannel uses it: no group, remote VTEPs come from FDB
     * entries. {@code local} null and {@code linkIndex} 0 leave the device unbound.
     */
    record Vxlan(String name, int vni, IpAddress local, int linkIndex, int port, boolean learning, boolean gbp,
                 boolean udpChecksum, int mtu, MacAddress mac, int netnsFd) implements LinkSpec {
        public Vxlan(String name, int vni, int port) {
            this(name, vni, null, 0, port, false, false, true, 0, null, -1);
        }

        public Vxlan withLocal(IpAddress a) {
            return new Vxlan(name, vni, a, linkIndex, port, learning, gbp, udpChecksum, mtu, mac, netnsFd);
        }

        public Vxlan withLinkIndex(int i) {
            return new Vxlan(name, vni, local, i, port, learning, gbp, udpChecksum, mtu, mac, netnsFd);
        }

        public Vxlan withLearning(boolean on) {
            return new Vxlan(name, vni, local, linkIndex, port, on, gbp, udpChecksum, mtu, mac, netnsFd);
        }

        public Vxlan withGbp(boolean on) {
            return new Vxlan(name, vni, local, linkIndex, port, learning, on, udpChecksum, mtu, mac, netnsFd);
        }

        public Vxlan withUdpChecksum(boolean on) {
            return new Vxlan(name, vni, local, linkIndex, port, learning, gbp, on, mtu, mac, netnsFd);
        }

        public Vxlan withMtu(int m) {
            return new Vxlan(name, vni, local, linkIndex, port, learning, gbp, udpChecksum, m, mac, netnsFd);
        }

        public Vxlan withMac(MacAddress m) {
            return new Vxlan(name, vni, local, linkIndex, port, learning, gbp, udpChecksum, mtu, m, netnsFd);
        }
    }

    record Dummy(String name, int mtu, MacAddress mac, int netnsFd) implements LinkSpec {
        public Dummy(String name) {
            this(name, 0, null, -1);
        }

        public Dummy withMtu(int m) {
            return new Dummy(name, m, mac, netnsFd);
        }
    }

    /**
     * An IPv4-in-IPv4 tunnel (RFC 2003) without fixed endpoints, like the kernel's fallback
     * {@code tunl0}: the route's gateway is the outer destination. Needs the kernel's ipip driver;
     * where it is missing the create fails with EOPNOTSUPP.
     */
    record Ipip(String name, int mtu, MacAddress mac, int netnsFd) implements LinkSpec {
        public Ipip(String name, int mtu) {
            this(name, mtu, null, -1);
        }
    }
}
