package dev.weft.bgp.wire;

import java.util.Optional;

/** The address families the speaker carries (AFI/SAFI pairs, RFC 4760). Others are ignored. */
public enum Family {
    IPV4_UNICAST(1, 1),
    IPV6_UNICAST(2, 1);

    public static final int AFI_IPV4 = 1;
    public static final int AFI_IPV6 = 2;
    public static final int SAFI_UNICAST = 1;

    private final int afi;
    private final int safi;

    Family(int afi, int safi) {
        this.afi = afi;
        this.safi = safi;
    }

    public int afi() {
        return afi;
    }

    public int safi() {
        return safi;
    }

    /** The family of an AFI/SAFI pair seen on the wire; empty for one the speaker does not carry. */
    public static Optional<Family> of(int afi, int safi) {
        for (Family f : values()) {
            if (f.afi == afi && f.safi == safi) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    public boolean isV6() {
        return this == IPV6_UNICAST;
    }
}
