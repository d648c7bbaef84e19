package dev.weft.netlink;

/**
 * The two hooks of the {@code clsact} qdisc (include/uapi/linux/pkt_sched.h): {@code parent} is
 * TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or TC_H_MIN_EGRESS).
 */
public enum TcHook {
    INGRESS(0xFFFFFFF2), EGRESS(0xFFFFFFF3);

    final int parent;

    TcHook(int parent) {
        this.parent = parent;
    }
}
