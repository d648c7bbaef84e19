package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one peer is to be sent. Instead of a copy of every route sent, it keeps:
 * <ul>
 *   <li>a cursor into each family's {@link ChangeJournal}: the prefixes whose selection changed
 *       since the last drain. A flood of changes to one prefix coalesces (only its latest entry
 *       counts, and its latest state is read when it is drained);</li>
 *   <li>for an initial dump or a route refresh, a snapshot array of the table's prefixes and a
 *       position in it (4 bytes per prefix while the walk lasts), and</li>
 *   <li>one bit per prefix in the Loc-RIB entry saying whether it is advertised to this peer,
 *       so a withdrawal goes only where an announcement went.</li>
 * </ul>
 * The attributes sent are a function of the best path and the peer, recomputed at drain time once
 * per attribute set. The sender calls {@link #drain(int)} when its channel is writable, so a slow
 * peer costs a cursor, and never an unbounded byte queue.
 */
public final class AdjRibOut {
    private static final Attrs NOT_EXPORTED = Attrs.of(List.of(), null);

    private final int index;
    private final PeerInfo peer;
    /** What kind of peer it is to the export policy ({@link ExportPolicy#kindOf}). */
    private final int kind;
    private final SessionParams session;
    private final Map<Family, LocRib> tables;
    private final ExportPolicy export;
    private final Map<Family, ChangeJournal.Cursor> cursors = new EnumMap<>(Family.class);
    private final Map<Family, Dump> dumps = new EnumMap<>(Family.class);
    private final Set<Family> endOfRibPending = EnumSet.noneOf(Family.class);
    /** Per family (by ordinal), how many prefixes have this peer's advertised bit set. */
    private final long[] advertised = new long[Family.values().length];

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
        this.kind = ExportPolicy.kindOf(peer);
        for (Family f : session.families()) {
            cursors.put(f, tables.get(f).journal().open(kind));
        }
    }

    int index() {
        return index;
    }

    public PeerInfo peer() {
        return peer;
    }

    /** The session is gone: its cursors stop holding journal entries. */
    void close() {
        cursors.forEach((f, c) -> tables.get(f).journal().close(c));
        cursors.clear();
        dumps.clear();
        endOfRibPending.clear();
    }

    /** Queues the whole table of a family, then End-of-RIB: the initial dump, or an answer to ROUTE-REFRESH. */
    void requeueAll(Family f) {
        LocRib rib = tables.get(f);
        if (!cursors.containsKey(f) || rib == null) {
            return;
        }
        // Prefixes that change during the walk are also in the journal; sending one twice
        // only repeats its latest state. Where no best path may go to this kind of peer, there is
        // nothing to walk for: what it was sent and must lose comes through the journal.
        if (rib.anyExportableTo(kind)) {
            dumps.put(f, new Dump(rib.prefixes()));
        }
        endOfRibPending.add(f);
    }

    /** Whether a drain would produce anything. */
    public boolean hasPending() {
        if (!endOfRibPending.isEmpty() || !dumps.isEmpty()) {
            return true;
        }
        for (Map.Entry<Family, ChangeJournal.Cursor> e : cursors.entrySet()) {
            if (tables.get(e.getKey()).journal().hasPending(e.getValue())) {
                return true;
            }
        }
        return false;
    }

    /** Prefixes waiting to be drained, for status (walks the pending changes). */
    public int pendingCount() {
        int n = 0;
        for (Map.Entry<Family, ChangeJournal.Cursor> e : cursors.entrySet()) {
            n += tables.get(e.getKey()).journal().pending(e.getValue());
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
    /** Prefixes of {@code f} currently advertised to this peer, kept as the advertised bits change. */
    public long advertisedCount(Family f) {
        return advertised[f.ordinal()];
    }

    public List<Update> drain(int maxBytes) {
        UpdatePacker packer = new UpdatePacker(session.maxMessage(), maxBytes, session.addPathSend());
        ExportCache cache = new ExportCache();
        for (Map.Entry<Family, ChangeJournal.Cursor> e : cursors.entrySet()) {
            Family f = e.getKey();
            LocRib rib = tables.get(f);
            if (!rib.journal().drain(e.getValue(), (prefix, d) -> drainOne(f, rib, prefix, d, packer, cache))) {
                return packer.finish();
            }
            Dump dump = dumps.get(f);
            if (dump != null) {
                while (dump.next < dump.prefixes.length) {
                    Cidr prefix = dump.prefixes[dump.next];
                    if (!drainOne(f, rib, prefix, rib.dest(prefix), packer, cache)) {
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
    private boolean drainOne(Family f, LocRib rib, Cidr prefix, Dest d, UpdatePacker packer, ExportCache cache) {
        Path best = d == null ? null : d.best();
        Attrs out = best == null ? null : exported(f, best, packer, cache);
        if (out != null) {
            if (!packer.announce(f, out, prefix)) {
                return false;
            }
            if (!d.advertisedTo(index)) {
                advertised[f.ordinal()]++;
            }
            d.setAdvertised(index, true);
        } else if (d != null && d.advertisedTo(index)) {
            if (!packer.withdraw(f, prefix)) {
                return false;
            }
            advertised[f.ordinal()]--;
            d.setAdvertised(index, false);
            rib.dropIfDead(prefix, d);
        }
        return true;
    }

    private Attrs exported(Family f, Path best, UpdatePacker packer, ExportCache cache) {
        Attrs a = cache.get(f, best);
        if (a == null) {
            Attrs x = export.export(best, peer, session);
            a = x != null && packer.sendable(f, x) ? x : NOT_EXPORTED;
            cache.put(f, best, a);
        }
        return a == NOT_EXPORTED ? null : a;
    }

    /** What the exported attributes depend on besides the target peer. */
    private record ExportKey(Family family, Attrs attrs, PeerInfo source) {}

    /**
     * Export results of one drain, with the last one kept aside: a full table from one peer is
     * 100,000 prefixes with one attribute set, and every other peer's drain asks for each of them,
     * which the map alone answered with a key object and two hashes each (bench/bgp-ingest, 10 peers).
     */
    private static final class ExportCache {
        private final Map<ExportKey, Attrs> map = new HashMap<>();
        private Family lastFamily;
        private Attrs lastAttrs;
        private PeerInfo lastSource;
        private Attrs last;

        Attrs get(Family f, Path best) {
            if (f == lastFamily && best.attrs() == lastAttrs && best.source() == lastSource) {
                return last;
            }
            Attrs a = map.get(new ExportKey(f, best.attrs(), best.source()));
            if (a != null) {
                remember(f, best, a);
            }
            return a;
        }

        void put(Family f, Path best, Attrs a) {
            map.put(new ExportKey(f, best.attrs(), best.source()), a);
            remember(f, best, a);
        }

        private void remember(Family f, Path best, Attrs a) {
            lastFamily = f;
            lastAttrs = best.attrs();
            lastSource = best.source();
            last = a;
        }
    }
}
