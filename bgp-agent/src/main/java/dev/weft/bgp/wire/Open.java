package dev.weft.bgp.wire;

import java.util.List;
import java.util.Optional;

/**
 * OPEN (RFC 4271 §4.2) with its capabilities (RFC 5492).
 *
 * @param asField          the 2-octet My AS field as sent (AS_TRANS 23456 for a 4-octet AS)
 * @param bgpIdentifier    the router id, an unsigned 32-bit value in an int
 * @param capabilities     in wire order
 * @param onePerParameter  whether each capability travels in its own optional parameter (FRR) or all
 *                         in one (BIRD, GoBGP); kept so a decoded OPEN encodes back to the same bytes
 */
public record Open(int version, int asField, int holdTime, int bgpIdentifier, List<Capability> capabilities,
                   boolean onePerParameter) implements BgpMessage {
    public static final int VERSION = 4;
    public static final int AS_TRANS = 23456;

    public Open {
        capabilities = List.copyOf(capabilities);
    }

    /** The speaker's AS: the 4-octet AS capability's when present, else the 2-octet field. */
    public long as() {
        return capability(Capability.FourOctetAs.class).map(Capability.FourOctetAs::as).orElse((long) asField);
    }

    public <C extends Capability> Optional<C> capability(Class<C> kind) {
        for (Capability c : capabilities) {
            if (kind.isInstance(c)) {
                return Optional.of(kind.cast(c));
            }
        }
        return Optional.empty();
    }

    @Override
    public int type() {
        return TYPE_OPEN;
    }
}
