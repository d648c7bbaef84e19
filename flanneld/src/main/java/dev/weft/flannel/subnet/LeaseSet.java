package dev.weft.flannel.subnet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.net.MacAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The leases a watcher stands for, kept once: every valid lease under the prefix (our own
 * included), and of those the ones delivered to backends.
 *
 * <p>Two leases must never share a PublicIP (or PublicIPv6) or a VtepMAC: each becomes an FDB
 * entry or route that replaces the other's, so a second lease naming another node's MAC would
 * take over that node's traffic. Of leases that share one, the first by etcd creation revision
 * keeps it and the later ones are not used (logged once, counted as DUPLICATE_PUBLIC_IP or
 * DUPLICATE_VTEP_MAC) until the holder goes away. A node re-taking its own lease after a restart
 * rewrites the same key, which keeps its creation revision. Not thread-safe except for
 * {@link #delivered()}, which any thread may read.
 */
final class LeaseSet {
    /** A valid lease with its claims and its place in the order of creation. */
    private record Held(String key, Lease lease, long seniority, Set<String> claims) {
    }

    private static final Comparator<Held> FIRST_CREATED =
            Comparator.comparingLong(Held::seniority).thenComparing(Held::key);

    private final LeaseValidator validator;
    private final Predicate<Lease> isOwn;
    private final Map<String, Held> valid = new HashMap<>();
    private final Map<String, TreeSet<Held>> byClaim = new HashMap<>();
    /** What backends were told, by key: read by the event pump and for the view. */
    private final NavigableMap<String, Lease> delivered = new ConcurrentSkipListMap<>();

    LeaseSet(LeaseValidator validator, Predicate<Lease> isOwn) {
        this.validator = validator;
        this.isOwn = isOwn;
    }

    /** The delivered leases now (a weakly consistent view, safe from any thread). */
    Collection<Lease> delivered() {
        return Collections.unmodifiableCollection(delivered.values());
    }

    /** A valid lease was written: the Added/Removed events that follow, in order. */
    List<LeaseEvent> put(String key, Lease lease, long seniority) {
        Set<String> affected = new LinkedHashSet<>();
        affected.add(key);
        Held before = valid.remove(key);
        if (before != null) {
            unclaim(before, affected);
        }
        Held h = new Held(key, lease, seniority, claims(lease));
        valid.put(key, h);
        for (String c : h.claims) {
            TreeSet<Held> holders = byClaim.computeIfAbsent(c, x -> new TreeSet<>(FIRST_CREATED));
            holders.forEach(o -> affected.add(o.key));
            holders.add(h);
        }
        return settle(affected);
    }

    /** A key was deleted, or now holds something invalid. */
    List<LeaseEvent> remove(String key) {
        Set<String> affected = new LinkedHashSet<>();
        affected.add(key);
        Held before = valid.remove(key);
        if (before != null) {
            unclaim(before, affected);
        }
        return settle(affected);
    }

    /** What a full listing says: returns the difference from what was delivered before. */
    LeaseEvent.Snapshot replace(List<Lease> leases, Map<String, Long> seniority) {
        valid.clear();
        byClaim.clear();
        for (Lease l : leases) {
            Held h = new Held(l.key(), l, seniority.getOrDefault(l.key(), l.modRevision()), claims(l));
            valid.put(h.key, h);
            h.claims.forEach(c -> byClaim.computeIfAbsent(c, x -> new TreeSet<>(FIRST_CREATED)).add(h));
        }
        List<Lease> added = new ArrayList<>();
        List<Lease> removed = new ArrayList<>();
        for (LeaseEvent e : settle(new LinkedHashSet<>(union(valid.keySet(), delivered.keySet())))) {
            if (e instanceof LeaseEvent.Added a) {
                added.add(a.lease());
            } else if (e instanceof LeaseEvent.Removed r) {
                removed.add(r.lease());
            }
        }
        return new LeaseEvent.Snapshot(List.copyOf(delivered.values()), added, removed);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }

    private void unclaim(Held h, Set<String> affected) {
        for (String c : h.claims) {
            TreeSet<Held> holders = byClaim.get(c);
            if (holders == null) {
                continue;
            }
            holders.remove(h);
            holders.forEach(o -> affected.add(o.key));
            if (holders.isEmpty()) {
                byClaim.remove(c);
            }
        }
    }

    /** Brings {@code delivered} in line with the rule for these keys. */
    private List<LeaseEvent> settle(Set<String> keys) {
        List<LeaseEvent> out = new ArrayList<>();
        for (String key : keys) {
            Held h = valid.get(key);
            Lease use = h != null && !isOwn.test(h.lease) && firstHolder(h) ? h.lease : null;
            Lease was = delivered.get(key);
            if (use == null) {
                if (was != null) {
                    delivered.remove(key);
                    out.add(new LeaseEvent.Removed(was));
                }
            } else {
                delivered.put(key, use);
                // A renewal rewrites the same attrs every ~23 h; the backend has nothing to do for it.
                if (!use.sameContent(was)) {
                    out.add(new LeaseEvent.Added(use));
                }
            }
        }
        return out;
    }

    /** Whether {@code h} comes first for each of its claims; logs and counts the first that it does not. */
    private boolean firstHolder(Held h) {
        for (String c : h.claims) {
            Held first = byClaim.get(c).first();
            if (first != h) {
                boolean mac = c.startsWith("mac ");
                validator.refuse(h.key, h.lease.modRevision(), mac ? Reason.DUPLICATE_VTEP_MAC : Reason.DUPLICATE_PUBLIC_IP,
                        (mac ? "VtepMAC " : "PublicIP ") + c.substring(c.indexOf(' ') + 1) + " is already claimed by "
                                + first.key + ", created earlier (revision " + first.seniority + ")");
                return false;
            }
        }
        return true;
    }

    /** What a lease claims for itself alone: its underlay addresses and VTEP MACs. */
    private static Set<String> claims(Lease l) {
        Set<String> c = new LinkedHashSet<>();
        c.add("ip " + l.attrs().publicIp());
        if (l.attrs().publicIpV6() != null) {
            c.add("ip " + l.attrs().publicIpV6());
        }
        addMac(c, l.attrs().backendData());
        addMac(c, l.attrs().backendV6Data());
        return c;
    }

    private static void addMac(Set<String> claims, JsonNode data) {
        if (data == null || !data.isObject()) {
            return;
        }
        JsonNode mac = GoObject.of(data).get("VtepMAC"); // Go's key matching, as the vxlan check reads it
        if (mac != null && mac.isTextual()) {
            try {
                claims.add("mac " + MacAddress.parse(mac.textValue()));
            } catch (IllegalArgumentException e) {
                // not a MAC: the backend's own check rejects such a lease
            }
        }
    }
}
