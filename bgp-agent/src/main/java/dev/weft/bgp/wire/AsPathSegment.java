package dev.weft.bgp.wire;

import java.util.List;

/** One AS_PATH / AS4_PATH segment (RFC 4271 §4.3, RFC 5065 for the confederation types). ASNs are unsigned 32-bit values. */
public record AsPathSegment(int segmentType, List<Long> asns) {
    public static final int AS_SET = 1;
    public static final int AS_SEQUENCE = 2;
    public static final int AS_CONFED_SEQUENCE = 3;
    public static final int AS_CONFED_SET = 4;

    public AsPathSegment {
        asns = List.copyOf(asns);
    }

    public static AsPathSegment sequence(List<Long> asns) {
        return new AsPathSegment(AS_SEQUENCE, asns);
    }

    /** Its weight in the decision process's path length: a set counts once, confederation segments not at all (RFC 5065). */
    public int pathLength() {
        return switch (segmentType) {
            case AS_SEQUENCE -> asns.size();
            case AS_SET -> 1;
            default -> 0;
        };
    }
}
