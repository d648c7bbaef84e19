package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one peer is to be sent. Instead of a copy of every route sent, it keeps:
 * <ul>
 *   <li>the prefixes whose state changed since the last drain (a set: a flood of changes to one
 *       prefix coalesces into one entry, and the latest state is read when it is drained),</li>
 *   <li>for an initial dump or a route refresh, a snapshot array of the table's prefixes and a
 *       cursor (4 bytes per prefix instead of a set entry's ~50), and</li>
 *   <li>one bit per prefix in the Loc-RIB entry saying whether it is advertised to this peer,
 *       so a withdrawal goes only where an announcement went.</li>
 * </ul>
 * The attributes sent are a function of the best path and the peer, recomputed at drain time once
 * per attribute set. The sender calls {@link #drain(int)} when its channel is writable, so a slow
 * peer holds at most one pending entry per prefix here, and never an unbounded byte queue.
 */
public final class AdjRibOut {
    private static final Attrs NOT_EXPORTED = Attrs.of(List.of(), null);

    private final int index;
    private final PeerInfo peer;
    private final SessionParams session;
    private final Map<Family, LocRib> tables;
    private final ExportPolicy export;
    private final Map<Family, LinkedHashSet<Cidr>> pending = new EnumMap<>(Family.class);
    private final Map<Family, Dump> dumps = new EnumMap<>(Family.class);
    private final Set<Family> endOfRibPending = EnumSet.noneOf(Family.class);

    /** A table walk in progress: the prefixes at the time it started, sent from {@code next} on. */
    private static final class Dump {
        final Cidr[] prefixes;
        int next;

        Dump(Cidr[] prefixes) {
            this.prefixes = prefixes;
        }
    }

    AdjRibOut(int index, PeerInfo peer, SessionParams session, Map<Family, LocRib> tables, ExportPolicy export) {
        this.index = index;
        this.peer = peer;
        this.session = session;
        this.tables = tables;
        this.export = export;
        for (Family f : session.families()) {
            pending.put(f, new LinkedHashSet<>());
        }
    }

    int index() {
        return index;
    }

    public PeerInfo peer() {
        return peer;
    }

    /** Queues a prefix whose best path changed. */
    void changed(Family f, Cidr prefix) {
        LinkedHashSet<Cidr> q = pending.get(f);
        if (q != null) {
            q.add(prefix);
        }
    }

    /** Queues the whole table of a family, then End-of-RIB: the initial dump, or an answer to ROUTE-REFRESH. */
    void requeueAll(Family f) {
        LocRib rib = tables.get(f);
        if (!pending.containsKey(f) || rib == null) {
            return;
        }
        // Prefixes that change during the walk are also in the pending set; sending one twice
        // only repeats its latest state.
        dumps.put(f, new Dump(rib.prefixes()));
        endOfRibPending.add(f);
    }

    /** Whether a drain would produce anything. */
    public boolean hasPending() {
        if (!endOfRibPending.isEmpty() || !dumps.isEmpty()) {
            return true;
        }
        for (LinkedHashSet<Cidr> q : pending.values()) {
            if (!q.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Prefixes waiting to be drained, for status. */
    public int pendingCount() {
        int n = 0;
        for (LinkedHashSet<Cidr> q : pending.values()) {
            n += q.size();
        }
        for (Dump d : dumps.values()) {
            n += d.prefixes.length - d.next;
        }
        return n;
    }

    /**
     * The next UPDATEs for this peer, at most {@code maxBytes} octets in all (estimated from the
     * wire layout, see {@link WireSize}) but always at least one message while anything is pending;
     * each within the session's maximum message size. Prefixes that share exported attributes share
     * messages. What is returned counts as sent.
     */
    public List<Update> drain(int maxBytes) {
        UpdatePacker packer = new UpdatePacker(session.maxMessage(), maxBytes, session.addPathSend());
        Map<ExportKey, Attrs> cache = new HashMap<>();
        for (Map.Entry<Family, LinkedHashSet<Cidr>> e : pending.entrySet()) {
            Family f = e.getKey();
            LocRib rib = tables.get(f);
            Iterator<Cidr> it = e.getValue().iterator();
            while (it.hasNext()) {
                Cidr prefix = it.next();
                if (!drainOne(f, rib, prefix, packer, cache)) {
                    return packer.finish();
                }
                it.remove();
            }
            // A drained set keeps its grown table; a fresh one lets a burst's memory go.
            e.setValue(new LinkedHashSet<>());
            Dump dump = dumps.get(f);
            if (dump != null) {
                while (dump.next < dump.prefixes.length) {
                    if (!drainOne(f, rib, dump.prefixes[dump.next], packer, cache)) {
                        return packer.finish();
                    }
                    dump.prefixes[dump.next++] = null;
                }
                dumps.remove(f);
            }
            if (endOfRibPending.contains(f)) {
                if (!packer.endOfRib(f)) {
                    return packer.finish();
                }
                endOfRibPending.remove(f);
            }
        }
        return packer.finish();
    }

    /** False when the budget is spent and the prefix stays pending. */
    private boolean drainOne(Family f, LocRib rib, Cidr prefix, UpdatePacker packer, Map<ExportKey, Attrs> cache) {
        Dest d = rib == null ? null : rib.dest(prefix);
        Path best = d == null ? null : d.best();
        Attrs out = best == null ? null : exported(f, best, packer, cache);
        if (out != null) {
            if (!packer.announce(f, out, prefix)) {
                return false;
            }
            d.setAdvertised(index, true);
        } else if (d != null && d.advertisedTo(index)) {
            if (!packer.withdraw(f, prefix)) {
                return false;
            }
            d.setAdvertised(index, false);
            rib.dropIfDead(prefix, d);
        }
        return true;
    }

    private Attrs exported(Family f, Path best, UpdatePacker packer, Map<ExportKey, Attrs> cache) {
        Attrs a = cache.computeIfAbsent(new ExportKey(f, best.attrs(), best.source()), k -> {
            Attrs x = export.export(best, peer, session);
            return x != null && packer.sendable(f, x) ? x : NOT_EXPORTED;
        });
        return a == NOT_EXPORTED ? null : a;
    }

    /** What the exported attributes depend on besides the target peer. */
    private record ExportKey(Family family, Attrs attrs, PeerInfo source) {}
}
