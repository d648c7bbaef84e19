package dev.weft.bgp.status;

import dev.weft.bgp.wire.Family;
import java.util.Optional;

/** "ipv4" / "ipv6": how a family is named in query strings, metric labels and tables. */
public final class FamilyLabel {
    private FamilyLabel() {
    }

    public static String of(Family f) {
        return f.isV6() ? "ipv6" : "ipv4";
    }

    public static Optional<Family> parse(String s) {
        return switch (s) {
            case "ipv4" -> Optional.of(Family.IPV4_UNICAST);
            case "ipv6" -> Optional.of(Family.IPV6_UNICAST);
            default -> Optional.empty();
        };
    }
}
