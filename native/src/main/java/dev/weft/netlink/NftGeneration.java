package dev.weft.netlink;

import dev.weft.netns.NetNs;
import java.nio.ByteBuffer;

/**
 * Reads nf_tables' ruleset generation over a netfilter netlink socket: one small request, no
 * process started. A daemon that must keep firewall rules in place asks for it every period and
 * reads the rules back only when it moved, since the kernel bumps it on every committed change to
 * any nf_tables table (iptables-nft and nft alike). Rules written by iptables-legacy are not in
 * nf_tables and do not move it.
 */
public final class NftGeneration implements AutoCloseable {
    private final NetlinkSocket socket;
    private final ByteBuffer tx = NetlinkSocket.allocate(NftGenCodec.REQUEST_BYTES);
    private final long txAddress = NetlinkSocket.pointerTo(tx);
    /** A NEWGEN answer is about 60 bytes; an error with extended ACK text a few hundred. */
    private final ByteBuffer rx = NetlinkSocket.allocate(4096);
    private final long rxAddress = NetlinkSocket.pointerTo(rx);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private NftGeneration(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** A socket in the calling thread's network namespace. */
    public static NftGeneration open() {
        return new NftGeneration(NetlinkSocket.open(NftGenCodec.NETLINK_NETFILTER, 0));
    }

    /** A socket in {@code ns}; it stays there whichever thread uses it. */
    public static NftGeneration open(NetNs ns) {
        return ns.run(NftGeneration::open);
    }

    /**
     * The current generation, an unsigned 32-bit counter.
     *
     * @throws NetlinkException when the kernel refuses (no nf_tables), or answers with a bad shape
     */
    public synchronized long current() {
        int s = ++seq;
        NftGenCodec.request(tx, s);
        socket.send(tx, txAddress);
        while (true) {
            socket.receive(rx, rxAddress, false);
            long gen = NftGenCodec.decode(rx, s);
            if (gen != NftGenCodec.NOT_YET) {
                return gen;
            }
        }
    }

    @Override
    public synchronized void close() {
        socket.close();
    }
}
