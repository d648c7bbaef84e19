package dev.weft.bgp.rib;

import java.util.HashMap;
import java.util.Map;

/**
 * Shares equal attribute sets among all paths that carry them, with a reference count so a set
 * disappears with its last path. 100,000 pod blocks announced by a few hundred nodes thus cost a
 * few hundred sets, not 100,000. Counted rather than weak: the RIB knows exactly when a path goes,
 * and a count keeps memory use independent of GC timing. Single-threaded like the rest of the RIB.
 */
final class AttrsInterner {
    private final Map<Attrs, Attrs> sets = new HashMap<>();

    /** The shared instance equal to {@code a}, with one more reference. */
    Attrs retain(Attrs a) {
        if (a.refCount > 0) { // only the shared instance is ever counted: no lookup (one per path)
            a.refCount++;
            return a;
        }
        Attrs shared = sets.putIfAbsent(a, a);
        if (shared == null) {
            shared = a;
        }
        shared.refCount++;
        return shared;
    }

    /** Drops one reference taken by {@link #retain}. */
    void release(Attrs a) {
        if (--a.refCount == 0) {
            sets.remove(a);
        } else if (a.refCount < 0) {
            throw new IllegalStateException("attribute set released more often than retained: " + a);
        }
    }

    int size() {
        return sets.size();
    }
}
