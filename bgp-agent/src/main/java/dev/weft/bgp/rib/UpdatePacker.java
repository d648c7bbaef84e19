package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Packs prefixes into UPDATEs: one open message per (family, attribute set) and one per family for
 * withdrawals, each closed when the next prefix would exceed the session's maximum message size,
 * the whole batch bounded by a byte budget. IPv4 goes in the NLRI and withdrawn fields with
 * NEXT_HOP; IPv6 in MP_REACH / MP_UNREACH (RFC 4760).
 */
final class UpdatePacker {
    private static final Comparator<PathAttribute> BY_TYPE = Comparator.comparingInt(PathAttribute::typeCode);

    private final int maxMessage;
    private final int budget;
    private final Set<Family> addPath;
    private final List<Update> out = new ArrayList<>();
    private final Map<Object, Builder> open = new LinkedHashMap<>();
    private int used;

    /**
     * @param budget the most octets the batch may hold; the first message is allowed past it so a
     *               drain always makes progress
     */
    UpdatePacker(int maxMessage, int budget, Set<Family> addPath) {
        this.maxMessage = maxMessage;
        this.budget = budget;
        this.addPath = addPath;
    }

    /** Whether a set can be sent at all: a next hop of the family, and room for a prefix beside the attributes. */
    boolean sendable(Family f, Attrs a) {
        IpAddress nh = a.nextHop();
        return nh != null && nh.isV6() == f.isV6()
                && announceOverhead(f, a) + 4 + 1 + (f.isV6() ? 16 : 4) <= maxMessage;
    }

    /** Adds a withdrawal; false when the budget is spent (the prefix was not taken). */
    boolean withdraw(Family f, Cidr prefix) {
        int fixed = WireSize.EMPTY_UPDATE + (f.isV6() ? WireSize.ATTR_HEADER + WireSize.MP_UNREACH_FIXED : 0);
        return add(f, f, null, prefix, fixed);
    }

    /** Adds an announcement with a {@link #sendable} set; false when the budget is spent. */
    boolean announce(Family f, Attrs exported, Cidr prefix) {
        return add(new GroupKey(f, exported), f, exported, prefix, announceOverhead(f, exported));
    }

    /** Closes the family's open messages and adds its End-of-RIB marker after them; false when the budget is spent. */
    boolean endOfRib(Family f) {
        int cost = WireSize.EMPTY_UPDATE + (f.isV6() ? WireSize.ATTR_HEADER + WireSize.MP_UNREACH_FIXED : 0);
        if (used > 0 && used + cost > budget) {
            return false;
        }
        Iterator<Builder> it = open.values().iterator();
        while (it.hasNext()) {
            Builder b = it.next();
            if (b.family == f) {
                out.add(b.toUpdate());
                it.remove();
            }
        }
        out.add(Update.endOfRib(f));
        used += cost;
        return true;
    }

    /** The messages, in the order they were closed, then the open ones. */
    List<Update> finish() {
        for (Builder b : open.values()) {
            out.add(b.toUpdate());
        }
        open.clear();
        return out;
    }

    private boolean add(Object key, Family f, Attrs a, Cidr prefix, int fixed) {
        int pb = WireSize.prefix(prefix, addPath.contains(f));
        Builder b = open.get(key);
        if (b != null && b.size + pb <= maxMessage) {
            if (used + pb > budget) {
                return false;
            }
        } else {
            if (used > 0 && used + fixed + pb > budget) {
                return false;
            }
            if (b != null) {
                out.add(b.toUpdate());
            }
            b = new Builder(f, a, fixed);
            open.put(key, b);
            used += fixed;
        }
        b.nlri.add(new Nlri(prefix, 0));
        b.size += pb;
        used += pb;
        return true;
    }

    private static int announceOverhead(Family f, Attrs a) {
        int attrs = WireSize.EMPTY_UPDATE + WireSize.attributes(a) + WireSize.ATTR_HEADER;
        if (!f.isV6()) {
            return attrs + 4; // NEXT_HOP
        }
        return attrs + WireSize.MP_REACH_FIXED + 16 + (a.linkLocalNextHop() == null ? 0 : 16);
    }

    private record GroupKey(Family family, Attrs attrs) {}

    /** One UPDATE being filled. */
    private static final class Builder {
        final Family family;
        final Attrs attrs; // null: withdrawals
        final List<Nlri> nlri = new ArrayList<>();
        int size;

        Builder(Family family, Attrs attrs, int size) {
            this.family = family;
            this.attrs = attrs;
            this.size = size;
        }

        Update toUpdate() {
            if (attrs == null) {
                return family.isV6()
                        ? new Update(List.of(), List.of(new PathAttribute.MpUnreach(family, nlri)), List.of())
                        : new Update(nlri, List.of(), List.of());
            }
            List<PathAttribute> list = new ArrayList<>(attrs.attributes().size() + 1);
            list.addAll(attrs.attributes());
            if (!family.isV6()) {
                list.add(new PathAttribute.NextHop(attrs.nextHop()));
                list.sort(BY_TYPE);
                return new Update(List.of(), list, nlri);
            }
            List<IpAddress> hops = attrs.linkLocalNextHop() == null ? List.of(attrs.nextHop())
                    : List.of(attrs.nextHop(), attrs.linkLocalNextHop());
            list.add(new PathAttribute.MpReach(family, hops, nlri));
            list.sort(BY_TYPE);
            return new Update(List.of(), list, List.of());
        }
    }
}
