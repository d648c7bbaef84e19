package dev.weft.flannel.backend.udp;

import dev.weft.net.Cidr;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Which received datagrams this node writes to its TUN. Port 8285 takes datagrams from anyone, and
 * the kernel forwards whatever the TUN yields, so without a check any host that reaches the port
 * could put packets with forged sources into the pods and have the node relay them. Accepted are
 * only datagrams whose outer source is a lease's PublicIP, whose inner destination is in this
 * node's subnet (on block IPAM: in the Network and not in another node's block), and whose inner source is in a subnet of that same lease holder. Look-ups go to
 * the current {@link RouteTable}; nothing is allocated.
 *
 * <p>flannel checks none of this; {@code acceptAny} restores that (for a sender behind a NAT that
 * its lease does not name, say).
 */
final class DatagramFilter {
    /** Whether {@link InetAddress#hashCode()} of an IPv4 address is the address (true in every JDK so far). */
    private static final boolean HASH_IS_ADDRESS = hashIsAddress();

    private final int localNet;
    private final int localMask;
    private final boolean acceptAny;
    /** Block IPAM: the node's pods are in {@code local} (the Network) wherever no other node's block or /32 is. */
    private final boolean notRouted;

    /** @param local this node's subnet (IPv4) */
    DatagramFilter(Cidr local, boolean acceptAny) {
        this(local, acceptAny, false);
    }

    private DatagramFilter(Cidr local, boolean acceptAny, boolean notRouted) {
        this.localMask = local.prefixLength() == 0 ? 0 : -1 << (32 - local.prefixLength());
        this.localNet = local.networkAddress().toV4Int() & localMask;
        this.acceptAny = acceptAny;
        this.notRouted = notRouted;
    }

    /**
     * On block IPAM a node has no subnet: its pods are in its blocks and in addresses it borrowed,
     * anywhere in the Network. A datagram's inner destination must then be in the Network and not
     * in what the table routes to another node (else this node would relay it onwards).
     */
    static DatagramFilter forBlocks(Cidr network, boolean acceptAny) {
        return new DatagramFilter(network, acceptAny, true);
    }

    /** Null when {@code sender} (the outer source, an IPv4 address as an int) holds a lease; checked before parsing. */
    UdpMetrics.Drop sender(RouteTable t, int sender) {
        return acceptAny || t.isPeer(sender) ? null : UdpMetrics.Drop.UNKNOWN_SENDER;
    }

    /** Null when the validated packet at {@code off} goes from {@code sender}'s subnet to ours. */
    UdpMetrics.Drop inner(RouteTable t, int sender, ByteBuf b, int off) {
        if (acceptAny) {
            return null;
        }
        int dst = Ipv4Packets.destination(b, off);
        if ((dst & localMask) != localNet || notRouted && t.lookupAddress(dst) != 0) {
            return UdpMetrics.Drop.FOREIGN_DESTINATION;
        }
        return t.routesVia(Ipv4Packets.source(b, off), sender) ? null : UdpMetrics.Drop.SPOOFED_SOURCE;
    }

    /**
     * The IPv4 address of a datagram's sender as an int, or 0 (no lease holder has that), without
     * allocating: Inet4Address's hash code is its address, which the table's own check (the int
     * must be a peer's) confirms; were a JDK ever to hash otherwise, this copies the bytes.
     */
    static int ipv4(InetSocketAddress sender) {
        InetAddress a = sender == null ? null : sender.getAddress();
        if (!(a instanceof Inet4Address)) {
            return 0;
        }
        if (HASH_IS_ADDRESS) {
            return a.hashCode();
        }
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    private static boolean hashIsAddress() {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, 7}).hashCode() == (198 << 24 | 51 << 16 | 100 << 8 | 7);
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
