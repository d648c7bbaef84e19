package dev.weft.bgp.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An UPDATE as received, with the RFC 7606 outcome. {@code update} holds what could be parsed,
 * without the attributes that were malformed, discarded or duplicated; its NLRI are intact. The
 * session logs {@code errors} and hands {@link #forRib()} to the RIB.
 */
public record DecodedUpdate(Update update, UpdateAction action, List<UpdateError> errors) {
    public DecodedUpdate {
        errors = List.copyOf(errors);
    }

    public static DecodedUpdate accepted(Update u) {
        return new DecodedUpdate(u, UpdateAction.ACCEPT, List.of());
    }

    /**
     * What the RIB should apply: the UPDATE itself, or under treat-as-withdraw an UPDATE that only
     * withdraws (every announced and withdrawn prefix; IPv4 ones in the withdrawn routes field,
     * IPv6 ones in one MP_UNREACH). Empty when there is nothing to apply: a treat-as-withdraw with
     * no prefixes must not look like an End-of-RIB.
     */
    public Optional<Update> forRib() {
        if (action != UpdateAction.TREAT_AS_WITHDRAW) {
            return Optional.of(update);
        }
        List<Nlri> v4 = new ArrayList<>();
        List<Nlri> v6 = new ArrayList<>();
        for (List<Nlri> list : List.of(update.allWithdrawn(), update.announced())) {
            for (Nlri n : list) {
                (n.family() == Family.IPV4_UNICAST ? v4 : v6).add(n);
            }
        }
        if (v4.isEmpty() && v6.isEmpty()) {
            return Optional.empty();
        }
        List<PathAttribute> attrs = v6.isEmpty() ? List.of() : List.of(new PathAttribute.MpUnreach(Family.IPV6_UNICAST, v6));
        return Optional.of(new Update(v4, attrs, List.of()));
    }
}
