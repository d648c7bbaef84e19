package dev.weft.bgp.rib;

import java.util.Arrays;
import java.util.List;

/**
 * One prefix of the Loc-RIB: every accepted path to it from every peer (so the per-peer
 * Adj-RIBs-In share this storage, as in BIRD), the selected ones at the front, and which
 * Adj-RIBs-Out have it advertised. Kept small: a prefix with one path costs this object plus a
 * one-element array.
 */
final class Dest {
    private static final Path[] NONE = new Path[0];

    private Path[] paths = NONE;
    private int selected;
    /** Bit i set: the Adj-RIB-Out with index i has this prefix advertised; null while none has. */
    private long[] advertised;
    /** Sequence number of this prefix's latest entry in the {@link ChangeJournal}. */
    long lastChange = -1;

    Path best() {
        return selected == 0 ? null : paths[0];
    }

    List<Path> selected() {
        // the usual case without ECMP (a full table makes 100,000 of these): no array copy
        return selected == 1 ? List.of(paths[0]) : List.of(Arrays.copyOf(paths, selected));
    }

    List<Path> all() {
        return List.of(paths);
    }

    boolean hasPaths() {
        return paths.length > 0;
    }

    /** Adds or replaces the path of the same peer and path id; returns the replaced one or null. */
    Path put(Path p) {
        for (int i = 0; i < paths.length; i++) {
            if (paths[i].sameSlot(p.source().key(), p.pathId())) {
                Path old = paths[i];
                paths[i] = p;
                return old;
            }
        }
        paths = Arrays.copyOf(paths, paths.length + 1);
        paths[paths.length - 1] = p;
        return null;
    }

    Path remove(PeerKey peer, int pathId) {
        for (int i = 0; i < paths.length; i++) {
            if (paths[i].sameSlot(peer, pathId)) {
                return removeAt(i);
            }
        }
        return null;
    }

    Path removeAt(int i) {
        Path old = paths[i];
        Path[] next = paths.length == 1 ? NONE : new Path[paths.length - 1];
        System.arraycopy(paths, 0, next, 0, i);
        System.arraycopy(paths, i + 1, next, i, paths.length - i - 1);
        paths = next;
        if (i < selected) {
            selected--;
        }
        return old;
    }

    int size() {
        return paths.length;
    }

    Path get(int i) {
        return paths[i];
    }

    void set(int i, Path p) {
        paths[i] = p;
    }

    /**
     * Runs the decision process: moves the best path to the front, followed (with multipath) by the
     * paths that may share its ECMP set, in decision order.
     */
    void reselect(boolean multipath) {
        int n = paths.length;
        if (n == 0) {
            selected = 0;
            return;
        }
        int bestAt = 0;
        for (int i = 1; i < n; i++) {
            if (Decision.compare(paths[i], paths[bestAt]) < 0) {
                bestAt = i;
            }
        }
        swap(0, bestAt);
        int count = 1;
        if (multipath) {
            for (int i = 1; i < n; i++) {
                if (Decision.multipathEqual(paths[0], paths[i])) {
                    swap(count++, i);
                }
            }
            // Insertion sort of the small ECMP set so its order does not depend on arrival order.
            for (int i = 2; i < count; i++) {
                for (int j = i; j > 1 && Decision.compare(paths[j], paths[j - 1]) < 0; j--) {
                    swap(j, j - 1);
                }
            }
        }
        selected = count;
    }

    private void swap(int i, int j) {
        Path t = paths[i];
        paths[i] = paths[j];
        paths[j] = t;
    }

    /** The selected set as it is now, to compare with after a change. */
    Path[] snapshotSelected() {
        return selected == 0 ? NONE : Arrays.copyOf(paths, selected);
    }

    /** Whether the selected set differs from {@code before} in anything the FIB or a peer would see. */
    boolean selectionDiffers(Path[] before) {
        if (before.length != selected) {
            return true;
        }
        for (int i = 0; i < selected; i++) {
            if (before[i] != paths[i] && !before[i].sameRoute(paths[i])) {
                return true;
            }
        }
        return false;
    }

    boolean advertisedAnywhere() {
        return advertised != null;
    }

    boolean advertisedTo(int index) {
        int w = index >>> 6;
        return advertised != null && w < advertised.length && (advertised[w] & (1L << index)) != 0;
    }

    void setAdvertised(int index, boolean on) {
        int w = index >>> 6;
        if (on) {
            if (advertised == null || w >= advertised.length) {
                advertised = advertised == null ? new long[w + 1] : Arrays.copyOf(advertised, w + 1);
            }
            advertised[w] |= 1L << index;
        } else if (advertised != null && w < advertised.length) {
            advertised[w] &= ~(1L << index);
            for (long word : advertised) {
                if (word != 0) {
                    return;
                }
            }
            advertised = null;
        }
    }

    /** No paths and advertised nowhere: the entry can go (until then it remembers pending withdrawals). */
    boolean isDead() {
        return paths.length == 0 && advertised == null;
    }
}
