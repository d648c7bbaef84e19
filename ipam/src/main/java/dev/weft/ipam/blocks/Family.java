package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

/** An address family as Calico's key layout spells it ({@code ipv4}, {@code ipv6}). */
public enum Family {
    V4("ipv4", 32, 26, 20),
    V6("ipv6", 128, 122, 116);

    private final String keyName;
    private final int bits;
    private final int defaultBlockSize;
    private final int smallestBlockPrefix;

    Family(String keyName, int bits, int defaultBlockSize, int smallestBlockPrefix) {
        this.keyName = keyName;
        this.bits = bits;
        this.defaultBlockSize = defaultBlockSize;
        this.smallestBlockPrefix = smallestBlockPrefix;
    }

    public static Family of(IpAddress a) {
        return a.isV6() ? V6 : V4;
    }

    public static Family of(Cidr c) {
        return of(c.address());
    }

    /** The path segment in etcd keys: {@code ipv4} or {@code ipv6}. */
    public String keyName() {
        return keyName;
    }

    public int bits() {
        return bits;
    }

    /** Calico's default block prefix: /26 and /122 (64 addresses). */
    public int defaultBlockSize() {
        return defaultBlockSize;
    }

    /**
     * The shortest block prefix accepted: /20 (/116), 4096 addresses. A block is one etcd value
     * holding an entry per address, so a larger one would outgrow etcd's request limit.
     */
    public int minBlockSize() {
        return smallestBlockPrefix;
    }
}
