package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import java.io.IOException;

/**
 * Writes packets to the TUN. With IFF_VNET_HDR every write starts with a virtio_net_hdr: a plain
 * packet gets an all-zero one, a coalesced TCP super-segment its GSO header. Pieces are gathered
 * with writev(2) straight from the receive buffers, so no packet is copied in user space.
 */
public final class TunWriter implements AutoCloseable {
    private final FileDescriptor fd;
    private final boolean vnetHdr;
    private final IovArray iov;
    private final ByteBuf zeroHdr;

    public TunWriter(FileDescriptor fd, boolean vnetHdr, ByteBufAllocator alloc) {
        this.fd = fd;
        this.vnetHdr = vnetHdr;
        this.iov = new IovArray(alloc.directBuffer(IovArray.IOV_SIZE * (TcpCoalescer.MAX_SEGMENTS + 2)));
        this.zeroHdr = alloc.directBuffer(VnetHdr.SIZE).writeZero(VnetHdr.SIZE);
    }

    boolean vnetHdr() {
        return vnetHdr;
    }

    /** Writes one plain packet. */
    public void write(ByteBuf b, int off, int len) throws IOException {
        if (!vnetHdr) {
            fd.writeAddress(b.memoryAddress(), off, off + len);
            return;
        }
        iov.clear();
        iov.add(zeroHdr, 0, VnetHdr.SIZE);
        iov.add(b, off, len);
        fd.writevAddresses(iov.memoryAddress(0), iov.count());
    }

    /**
     * Writes one plain packet received from the wire and counts it (tun_tx), or counts the failed
     * write as a drop of that packet.
     */
    public void writeCounted(ByteBuf b, int off, int len, UdpMetrics m) {
        try {
            write(b, off, len);
            m.tunTx(len);
            m.batch(UdpMetrics.Path.TUN_TX, 1);
        } catch (IOException e) {
            m.udpRxDrop(UdpMetrics.Drop.TUN_WRITE_ERROR);
        }
    }

    /** Starts a gathered write; add pieces, then {@link #writeGathered}. */
    IovArray gather() {
        iov.clear();
        return iov;
    }

    void writeGathered() throws IOException {
        fd.writevAddresses(iov.memoryAddress(0), iov.count());
    }

    @Override
    public void close() {
        iov.release();
        zeroHdr.release();
    }
}
