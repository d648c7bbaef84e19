package dev.weft.bgp.wire;

import dev.weft.net.Cidr;
import java.util.Objects;

/**
 * One prefix of an UPDATE's NLRI or withdrawn routes, with its ADD-PATH path identifier (RFC 7911).
 * The path id is 0 and absent on the wire unless ADD-PATH was negotiated for that family in that
 * direction; the codec context decides, not this value.
 */
public record Nlri(Cidr prefix, int pathId) {
    public Nlri {
        Objects.requireNonNull(prefix, "prefix");
        if (prefix.hasHostBits()) {
            throw new IllegalArgumentException("prefix has host bits: " + prefix);
        }
    }

    public static Nlri of(Cidr prefix) {
        return new Nlri(prefix, 0);
    }

    public Family family() {
        return prefix.isV6() ? Family.IPV6_UNICAST : Family.IPV4_UNICAST;
    }

    @Override
    public String toString() {
        return pathId == 0 ? prefix.toString() : prefix + "#" + Integer.toUnsignedString(pathId);
    }
}
