package dev.weft.bgp.wire;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * UPDATE (RFC 4271 §4.3). IPv4 prefixes travel in {@code withdrawn} and {@code nlri}; other
 * families, and IPv4 where a peer chooses so, in the MP_REACH / MP_UNREACH attributes, which stay
 * in {@code attributes} in wire order so a decoded UPDATE encodes back to the same bytes.
 */
public record Update(List<Nlri> withdrawn, List<PathAttribute> attributes, List<Nlri> nlri) implements BgpMessage {
    public Update {
        withdrawn = List.copyOf(withdrawn);
        attributes = List.copyOf(attributes);
        nlri = List.copyOf(nlri);
    }

    /** The End-of-RIB marker for a family (RFC 4724 §2). */
    public static Update endOfRib(Family f) {
        return f == Family.IPV4_UNICAST ? new Update(List.of(), List.of(), List.of())
                : new Update(List.of(), List.of(new PathAttribute.MpUnreach(f, List.of())), List.of());
    }

    /** The family this UPDATE marks the end of the initial table for, if it is an End-of-RIB. */
    public Optional<Family> endOfRibFamily() {
        if (withdrawn.isEmpty() && nlri.isEmpty()) {
            if (attributes.isEmpty()) {
                return Optional.of(Family.IPV4_UNICAST);
            }
            if (attributes.size() == 1 && attributes.get(0) instanceof PathAttribute.MpUnreach u && u.withdrawn().isEmpty()) {
                return Optional.of(u.family());
            }
        }
        return Optional.empty();
    }

    public <A extends PathAttribute> Optional<A> attribute(Class<A> kind) {
        for (PathAttribute a : attributes) {
            if (kind.isInstance(a)) {
                return Optional.of(kind.cast(a));
            }
        }
        return Optional.empty();
    }

    /** Every prefix this UPDATE announces: the IPv4 NLRI field and MP_REACH. */
    public List<Nlri> announced() {
        Optional<PathAttribute.MpReach> mp = attribute(PathAttribute.MpReach.class);
        if (mp.isEmpty()) {
            return nlri;
        }
        List<Nlri> all = new ArrayList<>(nlri.size() + mp.get().nlri().size());
        all.addAll(nlri);
        all.addAll(mp.get().nlri());
        return all;
    }

    /** Every prefix this UPDATE withdraws: the withdrawn routes field and MP_UNREACH. */
    public List<Nlri> allWithdrawn() {
        Optional<PathAttribute.MpUnreach> mp = attribute(PathAttribute.MpUnreach.class);
        if (mp.isEmpty()) {
            return withdrawn;
        }
        List<Nlri> all = new ArrayList<>(withdrawn.size() + mp.get().withdrawn().size());
        all.addAll(withdrawn);
        all.addAll(mp.get().withdrawn());
        return all;
    }

    @Override
    public int type() {
        return TYPE_UPDATE;
    }
}
