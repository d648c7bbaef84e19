package dev.weft.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The two messages of nf_tables' generation query, pure: {@code NFT_MSG_GETGEN} out, and in its
 * {@code NFT_MSG_NEWGEN} answer the {@code NFTA_GEN_ID} attribute (big-endian u32) or an
 * {@code NLMSG_ERROR}. The generation is the ruleset's version: the kernel bumps it on every
 * committed change of any nf_tables table, including those iptables-nft writes.
 */
final class NftGenCodec {
    static final int NETLINK_NETFILTER = 12;
    static final int NFNL_SUBSYS_NFTABLES = 10;
    static final int NFT_MSG_NEWGEN = 15;
    static final int NFT_MSG_GETGEN = 16;
    static final int NFTA_GEN_ID = 1;
    /** nlmsghdr (16) + nfgenmsg (family u8, version u8, res_id be16). */
    static final int REQUEST_BYTES = 20;
    /** No message of the request's sequence number in the datagram: read the next one. */
    static final long NOT_YET = -1;

    private NftGenCodec() {
    }

    /** Writes the GETGEN request at position 0 of {@code b} (native order) and sets its limit. */
    static void request(ByteBuffer b, int seq) {
        b.clear();
        b.putInt(0, REQUEST_BYTES);
        b.putShort(4, (short) (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN));
        b.putShort(6, (short) Rt.NLM_F_REQUEST);
        b.putInt(8, seq);
        b.putInt(12, 0);
        b.putInt(16, 0); // AF_UNSPEC, NFNETLINK_V0, res_id 0
        b.limit(REQUEST_BYTES);
    }

    /**
     * The generation in the datagram [0, limit) of {@code b} answering {@code seq}, or
     * {@link #NOT_YET} when no message of it is there (another request's answer, or nothing).
     *
     * @throws NetlinkException       the kernel refused the request (e.g. no nf_tables)
     * @throws NetlinkDecodeException an answer without the shape the type promises
     */
    static long decode(ByteBuffer b, int seq) {
        int p = 0;
        while (p + 16 <= b.limit()) {
            int len = b.getInt(p);
            if (len < 16 || len > b.limit() - p) {
                throw new NetlinkDecodeException("nf_tables generation", "message of " + len + " bytes at " + p
                        + " in a datagram of " + b.limit());
            }
            int type = Short.toUnsignedInt(b.getShort(p + 4));
            if (b.getInt(p + 8) == seq) {
                if (type == Rt.NLMSG_ERROR) {
                    NetlinkDecodeException.requireBody(b, p + 16, p + len, 4, "nf_tables generation error");
                    int err = b.getInt(p + 16);
                    if (err < 0) {
                        throw new NetlinkException("read the nf_tables generation", err, null);
                    }
                    throw new NetlinkDecodeException("nf_tables generation", "an ACK without the generation");
                }
                if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN)) {
                    NetlinkDecodeException.requireBody(b, p + 16, p + len, 4, "nf_tables generation");
                    Attrs a = Attrs.parse(b, p + 20, p + len);
                    if (a.length(NFTA_GEN_ID) != 4) {
                        throw new NetlinkDecodeException("nf_tables generation", "no 4-byte NFTA_GEN_ID");
                    }
                    int raw = b.getInt(a.offset(NFTA_GEN_ID));
                    return Integer.toUnsignedLong(b.order() == ByteOrder.BIG_ENDIAN ? raw : Integer.reverseBytes(raw));
                }
            }
            p += (len + 3) & ~3;
        }
        return NOT_YET;
    }
}
