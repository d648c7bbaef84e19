package dev.weft.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic BPF program that makes the kernel drop a protocol's RTM_NEWROUTE notifications
 * before they reach a subscriber's socket. A daemon that installs 100,000 routes otherwise has
 * every one of them copied back to its watcher and decoded only to be thrown away (half a CPU
 * second per full table, measured with bench/bgp-ingest). Pure: it only lays out the instructions.
 *
 * <p>The kernel runs a netlink socket's filter on each multicast notification (one message per
 * skb), so absolute offsets address that message: {@code nlmsg_type} at 4, and {@code rtm_protocol}
 * at 16 + 5 (after the 16-byte nlmsghdr: family, dst_len, src_len, tos, table, protocol).
 */
final class RouteEchoFilter {
    /** struct sock_filter: u16 code, u8 jt, u8 jf, u32 k. */
    static final int INSN_BYTES = 8;
    static final int NLMSG_TYPE_OFFSET = 4;
    static final int RTM_PROTOCOL_OFFSET = 16 + 5;

    private static final short LD_H_ABS = 0x28;
    private static final short LD_B_ABS = 0x30;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;
    private static final int DROP = 0;
    private static final int KEEP_ALL = 0xFFFF_FFFF;

    private RouteEchoFilter() {
    }

    /**
     * The program: keep everything except RTM_NEWROUTE whose rtm_protocol is {@code protocol}.
     * {@code order} is the host's byte order: BPF loads half-words in network order, so the host's
     * nlmsg_type is compared as it reads back that way.
     */
    static ByteBuffer program(int protocol, ByteOrder order) {
        if (protocol <= 0 || protocol > 255) {
            throw new IllegalArgumentException("route protocol " + protocol + " is not 1-255");
        }
        short type = (short) Rt.RTM_NEWROUTE;
        int typeAsLoaded = Short.toUnsignedInt(order == ByteOrder.BIG_ENDIAN ? type : Short.reverseBytes(type));
        ByteBuffer b = ByteBuffer.allocate(6 * INSN_BYTES).order(order);
        insn(b, LD_H_ABS, 0, 0, NLMSG_TYPE_OFFSET);
        insn(b, JEQ_K, 0, 3, typeAsLoaded);          // not a new route: keep (5)
        insn(b, LD_B_ABS, 0, 0, RTM_PROTOCOL_OFFSET);
        insn(b, JEQ_K, 0, 1, protocol);              // another protocol's route: keep (5)
        insn(b, RET_K, 0, 0, DROP);
        insn(b, RET_K, 0, 0, KEEP_ALL);
        return b.flip();
    }

    private static void insn(ByteBuffer b, short code, int jt, int jf, int k) {
        b.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
    }
}
