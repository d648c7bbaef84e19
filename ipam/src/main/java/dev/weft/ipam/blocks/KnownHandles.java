package dev.weft.ipam.blocks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Handle records this allocator wrote itself, with the revision it wrote them at: a release of
 * one of them needs no read first (its transaction is guarded by that revision, so a record that
 * someone else changed since only costs the batch its fast path). Bounded: beyond
 * {@link #MAX} the oldest are forgotten (their release reads the record, as any other's). Guarded
 * by the allocator.
 */
final class KnownHandles {
    /** Far more than the pods of one node. */
    static final int MAX = 1 << 16;

    record Known(IpamHandle record, long revision) {
    }

    private final Map<String, Known> known = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
            return size() > MAX;
        }
    };

    Known get(String handle) {
        return known.get(handle);
    }

    void wrote(String handle, IpamHandle record, long revision) {
        known.put(handle, new Known(record, revision));
    }

    void forget(String handle) {
        known.remove(handle);
    }

    void clear() {
        known.clear();
    }
}
