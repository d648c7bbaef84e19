package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The receiving side's checks of sender and inner addresses, on hand-built headers. */
class DatagramFilterTest {
    private static final int B = IpAddress.parse("192.168.1.2").toV4Int();
    private static final int C = IpAddress.parse("192.168.1.3").toV4Int();
    private static final RouteTable TABLE = RouteTable.of(Map.of(
            Cidr.parse("10.244.2.0/24"), new InetSocketAddress("192.168.1.2", 8285),
            Cidr.parse("10.244.3.0/24"), new InetSocketAddress("192.168.1.4", 8285)));

    /** An IPv4 header at offset 7 of a buffer (the filter reads at an offset). */
    private static ByteBuf header(String src, String dst) {
        ByteBuf b = Unpooled.buffer(27).writeZero(7);
        b.writeByte(0x45).writeByte(0).writeShort(20).writeInt(0).writeByte(64).writeByte(17).writeShort(0)
                .writeInt(IpAddress.parse(src).toV4Int()).writeInt(IpAddress.parse(dst).toV4Int());
        return b;
    }

    @Test
    void onlyALeaseHoldersDatagramsFromItsSubnetToOursPass() {
        DatagramFilter f = new DatagramFilter(Cidr.parse("10.244.1.0/24"), false);
        assertNull(f.sender(TABLE, B));
        assertEquals(UdpMetrics.Drop.UNKNOWN_SENDER, f.sender(TABLE, C));
        assertEquals(UdpMetrics.Drop.UNKNOWN_SENDER, f.sender(TABLE, 0));
        assertNull(f.inner(TABLE, B, header("10.244.2.7", "10.244.1.5"), 7));
        assertEquals(UdpMetrics.Drop.SPOOFED_SOURCE, f.inner(TABLE, B, header("10.244.3.7", "10.244.1.5"), 7), "another's subnet");
        assertEquals(UdpMetrics.Drop.SPOOFED_SOURCE, f.inner(TABLE, B, header("10.244.1.7", "10.244.1.5"), 7), "our own subnet");
        assertEquals(UdpMetrics.Drop.SPOOFED_SOURCE, f.inner(TABLE, B, header("8.8.8.8", "10.244.1.5"), 7), "outside the network");
        assertEquals(UdpMetrics.Drop.FOREIGN_DESTINATION, f.inner(TABLE, B, header("10.244.2.7", "10.244.3.5"), 7));
        assertEquals(UdpMetrics.Drop.FOREIGN_DESTINATION, f.inner(TABLE, B, header("10.244.2.7", "10.245.1.5"), 7));
    }

    @Test
    void onBlocksOursIsTheNetworkOutsideOtherNodesBlocksAndBorrowedAddresses() {
        // B holds the block 10.244.0.64/26 and borrowed 10.244.0.9 from this node's block 10.244.0.0/26
        RouteTable blocks = RouteTable.of(Map.of(
                Cidr.parse("10.244.0.64/26"), new InetSocketAddress("192.168.1.2", 8285),
                Cidr.parse("10.244.0.9/32"), new InetSocketAddress("192.168.1.2", 8285),
                Cidr.parse("10.244.0.128/26"), new InetSocketAddress("192.168.1.4", 8285)));
        DatagramFilter f = DatagramFilter.forBlocks(Cidr.parse("10.244.0.0/24"), false);
        assertNull(f.inner(blocks, B, header("10.244.0.70", "10.244.0.5"), 7), "to a pod in our block");
        assertNull(f.inner(blocks, B, header("10.244.0.9", "10.244.0.200"), 7), "from B's borrowed address, to a block of no node");
        assertEquals(UdpMetrics.Drop.FOREIGN_DESTINATION, f.inner(blocks, B, header("10.244.0.70", "10.244.0.130"), 7),
                "to a third node's block: not relayed");
        assertEquals(UdpMetrics.Drop.FOREIGN_DESTINATION, f.inner(blocks, B, header("10.244.0.70", "10.244.0.9"), 7),
                "to the address B borrowed from our block");
        assertEquals(UdpMetrics.Drop.FOREIGN_DESTINATION, f.inner(blocks, B, header("10.244.0.70", "10.245.0.5"), 7),
                "outside the network");
        assertEquals(UdpMetrics.Drop.SPOOFED_SOURCE, f.inner(blocks, B, header("10.244.0.130", "10.244.0.5"), 7),
                "from another node's block");
        assertEquals(UdpMetrics.Drop.SPOOFED_SOURCE, f.inner(blocks, B, header("10.244.0.5", "10.244.0.6"), 7),
                "from our own block");
    }

    @Test
    void acceptAnyPassesEverything() {
        DatagramFilter f = new DatagramFilter(Cidr.parse("10.244.1.0/24"), true);
        assertNull(f.sender(TABLE, C));
        assertNull(f.sender(RouteTable.EMPTY, 0));
        assertNull(f.inner(TABLE, C, header("8.8.8.8", "10.245.1.5"), 7));
    }

    @Test
    void aSendersAddressIsReadWithoutCopying() {
        assertEquals(B, DatagramFilter.ipv4(new InetSocketAddress("192.168.1.2", 8285)));
        assertEquals(0, DatagramFilter.ipv4(new InetSocketAddress("::1", 8285)));
        assertEquals(0, DatagramFilter.ipv4(InetSocketAddress.createUnresolved("x", 1)));
        assertEquals(0, DatagramFilter.ipv4(null));
    }
}
