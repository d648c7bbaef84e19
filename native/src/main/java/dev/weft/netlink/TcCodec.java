package dev.weft.netlink;

import java.nio.ByteBuffer;

/**
 * Traffic-control messages for a {@code clsact} qdisc and {@code cls_bpf} filters (struct tcmsg
 * + TCA_* attributes, include/uapi/linux/rtnetlink.h and pkt_cls.h). Pure.
 */
final class TcCodec {
    /** sizeof(struct tcmsg). */
    static final int HEADER = 20;
    static final int TCA_KIND = 1;
    static final int TCA_OPTIONS = 2;
    static final int TCA_BPF_FD = 6;
    static final int TCA_BPF_NAME = 7;
    static final int TCA_BPF_FLAGS = 8;
    static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
    /** The clsact qdisc's handle (ffff:) and parent (TC_H_CLSACT). */
    static final int CLSACT_HANDLE = 0xFFFF0000;
    static final int TC_H_CLSACT = 0xFFFFFFF1;
    /** ETH_P_ALL in network byte order, the low half of tcm_info: the filter sees every protocol. */
    private static final int ETH_P_ALL_BE = 0x0300;

    private TcCodec() {
    }

    static void tcmsg(MessageWriter w, int index, int handle, int parent, int info) {
        w.u8(0).u8(0).u16(0).u32(index).u32(handle).u32(parent).u32(info);
    }

    static void writeClsact(MessageWriter w, int index) {
        tcmsg(w, index, CLSACT_HANDLE, TC_H_CLSACT, 0);
        w.attrString(TCA_KIND, "clsact");
    }

    static void writeBpfFilter(MessageWriter w, int index, TcHook hook, int priority, int handle, int progFd, String name) {
        tcmsg(w, index, handle, hook.parent, info(priority));
        w.attrString(TCA_KIND, "bpf");
        int nest = w.nestStart(TCA_OPTIONS);
        w.attrU32(TCA_BPF_FD, progFd);
        w.attrString(TCA_BPF_NAME, name);
        w.attrU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        w.nestEnd(nest);
    }

    static void writeFilterKey(MessageWriter w, int index, TcHook hook, int priority, int handle) {
        tcmsg(w, index, handle, hook.parent, info(priority));
        w.attrString(TCA_KIND, "bpf");
    }

    static void writeFilterDump(MessageWriter w, int index, TcHook hook) {
        tcmsg(w, index, 0, hook.parent, 0);
    }

    private static int info(int priority) {
        if (priority < 1 || priority > 0xFFFF) {
            throw new IllegalArgumentException("tc priority " + priority + " is outside 1..65535");
        }
        return priority << 16 | ETH_P_ALL_BE;
    }

    /** A filter of a dump; null for other messages and for the chain's bare header entries (handle 0). */
    static TcFilter decodeFilter(ByteBuffer b, int type, int from, int to, TcHook hook) {
        if (type != Rt.RTM_NEWTFILTER) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "tc filter");
        int handle = b.getInt(from + 8);
        if (handle == 0) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + HEADER, to);
        String kind = a.string(TCA_KIND);
        String name = null;
        boolean direct = false;
        if (a.has(TCA_OPTIONS)) {
            Attrs o = a.nested(TCA_OPTIONS);
            name = o.string(TCA_BPF_NAME);
            direct = (o.u32(TCA_BPF_FLAGS, 0) & TCA_BPF_FLAG_ACT_DIRECT) != 0;
        }
        return new TcFilter(b.getInt(from + 4), hook, b.getInt(from + 16) >>> 16, handle, kind, name, direct);
    }
}
