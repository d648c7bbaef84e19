package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import dev.weft.net.CidrMap;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The table of one family: every accepted path per prefix and the selected ones. Each operation
 * reruns the decision for the touched prefix only and appends a {@link RouteChange} when what is
 * selected changed, so the cost per update is per prefix, not per table.
 */
final class LocRib {
    private final Family family;
    private final boolean multipath;
    private final AttrsInterner interner;
    /** The kinds of peer a best path can be exported to ({@link ExportPolicy#audience}). */
    private final ToIntFunction<Path> audience;
    /**
     * A primitive-keyed table for IPv4 ({@link CidrMap}): a full table's announce found or made its
     * entry through a HashMap node and grew it by rehashing nodes, a third of the RIB thread's
     * samples (bench/bgp-ingest profile).
     */
    private final CidrMap<Dest> table = new CidrMap<>();
    private final ChangeJournal journal = new ChangeJournal();
    /**
     * Entries with paths, kept as they come and go: status asks for it on every request, and a
     * walk of a full table each time cost the RIB thread (bench/bgp-ingest profile).
     */
    private int prefixCount;
    /**
     * Per audience bit, how many prefixes have a best path that kind of peer may be sent: a peer
     * of a kind with none needs no walk of the table when its session comes up (an iBGP mesh
     * holding only iBGP-learned routes: bench/bgp-ingest's later peers each walked all of it).
     */
    private final int[] exportable = new int[Integer.SIZE];
    /** The journal's next sequence number when the current batch of changes began ({@link #takeRepeats}). */
    private long batchStart;
    /** Whether a prefix may have changed twice since then: a second change of one entry, or a dead entry. */
    private boolean repeats;

    LocRib(Family family, boolean multipath, AttrsInterner interner, ToIntFunction<Path> audience) {
        this.family = family;
        this.multipath = multipath;
        this.interner = interner;
        this.audience = audience;
    }

    /** The changes the Adj-RIBs-Out of this family read from. */
    ChangeJournal journal() {
        return journal;
    }

    Family family() {
        return family;
    }

    Dest dest(Cidr prefix) {
        return table.get(prefix);
    }

    /** Adds or replaces a path; its attribute set must come from the interner. Returns the replaced path or null. */
    Path announce(Path p, List<RouteChange> out) {
        Dest d = table.computeIfAbsent(p.prefix(), k -> new Dest());
        Path[] before = d.snapshotSelected();
        interner.retain(p.attrs());
        if (!d.hasPaths()) {
            prefixCount++;
        }
        Path old = d.put(p);
        if (old != null) {
            interner.release(old.attrs());
        }
        reselect(p.prefix(), d, before, out);
        return old;
    }

    /** Removes the path of that peer and path id, if any; returns it. */
    Path withdraw(Cidr prefix, PeerKey peer, int pathId, List<RouteChange> out) {
        Dest d = table.get(prefix);
        if (d == null) {
            return null;
        }
        Path[] before = d.snapshotSelected();
        Path old = d.remove(peer, pathId);
        if (old != null) {
            if (!d.hasPaths()) {
                prefixCount--;
            }
            interner.release(old.attrs());
            reselect(prefix, d, before, out);
        }
        return old;
    }

    /**
     * Removes every path of {@code peer} that {@code which} selects; a full table walk, which is
     * what a session loss costs here (BIRD flushes a channel the same way). Returns how many went.
     */
    int removeAll(PeerKey peer, Predicate<Path> which, List<RouteChange> out) {
        int[] removed = {0};
        table.removeIf((prefix, d) -> {
            Path[] before = null;
            for (int i = d.size() - 1; i >= 0; i--) {
                Path p = d.get(i);
                if (p.source().key().equals(peer) && which.test(p)) {
                    if (before == null) {
                        before = d.snapshotSelected();
                    }
                    d.removeAt(i);
                    interner.release(p.attrs());
                    removed[0]++;
                }
            }
            if (before == null) {
                return false;
            }
            if (!d.hasPaths()) {
                prefixCount--;
            }
            d.reselect(multipath);
            changed(prefix, d, before, out);
            return d.isDead();
        });
        return removed[0];
    }

    /** Marks every path of {@code peer} stale in place; the selection does not change. */
    int markStale(PeerKey peer) {
        int[] n = {0};
        table.forEach((prefix, d) -> {
            for (int i = 0; i < d.size(); i++) {
                Path p = d.get(i);
                if (!p.stale() && p.source().key().equals(peer)) {
                    d.set(i, p.asStale()); // same attribute set: the reference count stays
                    n[0]++;
                }
            }
        });
        return n[0];
    }

    /** Forgets an Adj-RIB-Out's advertised bit everywhere (its session is gone, its index reused). */
    void clearAdvertised(int index) {
        table.removeIf((prefix, d) -> {
            d.setAdvertised(index, false);
            return d.isDead();
        });
    }

    /** Drops an entry kept only to remember advertisements, once they are withdrawn. */
    void dropIfDead(Cidr prefix, Dest d) {
        if (d.isDead()) {
            table.remove(prefix, d);
        }
    }

    /** Visits every prefix that has paths. */
    void forEach(BiConsumer<Cidr, Dest> visitor) {
        table.forEach((k, d) -> {
            if (d.hasPaths()) {
                visitor.accept(k, d);
            }
        });
    }

    /** A snapshot of the prefixes that have paths. */
    Cidr[] prefixes() {
        List<Cidr> out = new java.util.ArrayList<>(table.size());
        forEach((k, d) -> out.add(k));
        return out.toArray(new Cidr[0]);
    }

    int prefixCount() {
        return prefixCount;
    }

    private void reselect(Cidr prefix, Dest d, Path[] before, List<RouteChange> out) {
        d.reselect(multipath);
        changed(prefix, d, before, out);
        if (d.isDead()) {
            table.remove(prefix);
        }
    }

    /**
     * Whether a prefix may have changed more than once since the last call (so the changes need
     * coalescing before they are published); starts the next batch. Detected from the entries'
     * sequence numbers, so that a batch without repeats, a full table's every UPDATE, costs no map.
     */
    boolean takeRepeats() {
        boolean r = repeats;
        repeats = false;
        batchStart = journal.nextSeq();
        return r;
    }

    private void changed(Cidr prefix, Dest d, Path[] before, List<RouteChange> out) {
        if (d.selectionDiffers(before)) {
            // changed before in this batch, or gone (a new entry for the prefix may follow)
            repeats |= d.lastChange >= batchStart || d.isDead();
            out.add(new RouteChange(family, prefix, d.selected()));
            int now = audience.applyAsInt(d.best());
            count(audience.applyAsInt(before.length == 0 ? null : before[0]), -1);
            count(now, 1);
            if (!d.isDead()) { // a dead entry was advertised nowhere: no peer needs to hear of it
                // where it is advertised, every peer may owe a withdrawal or a replacement
                journal.append(prefix, d, d.advertisedAnywhere() ? ExportPolicy.TO_ANY : now);
            }
        }
    }

    private void count(int audienceBits, int delta) {
        for (int bits = audienceBits; bits != 0; bits &= bits - 1) {
            exportable[Integer.numberOfTrailingZeros(bits)] += delta;
        }
    }

    /** Whether any prefix has a best path a peer of {@code kind} (one audience bit) may be sent. */
    boolean anyExportableTo(int kind) {
        return exportable[Integer.numberOfTrailingZeros(kind)] > 0;
    }
}
