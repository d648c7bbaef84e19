package dev.weft.bgp.fsm;

import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.NativeMemory;

/**
 * GTSM (RFC 5082) on a socket: send with TTL (hop limit) 255 and drop what arrives with less than
 * 256 - hops, so a packet from farther away than the configured hops never reaches BGP. Netty has
 * no option for IP_MINTTL, hence setsockopt on the channel's descriptor.
 */
final class Gtsm {
    static final int MAX_TTL = 255;
    private static final int IPPROTO_IP = 0;
    private static final int IP_TTL = 2;
    private static final int IP_MINTTL = 21;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_UNICAST_HOPS = 16;
    private static final int IPV6_MINHOPCOUNT = 73;

    private Gtsm() {
    }

    /** TTL 255 and the minimum for a peer at most {@code hops} away; {@code v6} is the peer's family. */
    static void protect(int fd, boolean v6, int hops) {
        sendWithMaxTtl(fd, v6);
        set(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MINHOPCOUNT : IP_MINTTL, MAX_TTL + 1 - hops);
    }

    /** The minimum TTL alone (0 = none), for the listener: a child socket inherits it from its first segment on. */
    static void requireMinTtl(int fd, boolean v6, int minTtl) {
        set(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MINHOPCOUNT : IP_MINTTL, minTtl);
    }

    static void sendWithMaxTtl(int fd, boolean v6) {
        set(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, MAX_TTL);
    }

    /** The minimum TTL (or hop count) in force on the socket, for tests and status. */
    static int minTtl(int fd, boolean v6) {
        try (NativeMemory m = NativeMemory.allocate(8)) {
            m.putInt(4, 4);
            if (LibC.get().getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MINHOPCOUNT : IP_MINTTL,
                    m.address(), m.address() + 4) < 0) {
                throw new ErrnoException("getsockopt(min ttl)", LibC.errno());
            }
            return m.getInt(0);
        }
    }

    private static void set(int fd, int level, int option, int value) {
        try (NativeMemory m = NativeMemory.allocate(4)) {
            m.putInt(0, value);
            if (LibC.get().setsockopt(fd, level, option, m.address(), 4) < 0) {
                throw new ErrnoException("setsockopt(" + level + "," + option + "=" + value + ")", LibC.errno());
            }
        }
    }
}
