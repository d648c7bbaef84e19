package dev.weft.bgp.rib;

import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * The prefixes of one family whose selection changed, in order, shared by every Adj-RIB-Out of
 * the family: each holds a {@link Cursor} (the next sequence number it has not sent). One change
 * costs one entry however many peers there are, instead of one set entry per peer; with a
 * 1,000-peer mesh that is the difference between 12 bytes and ~50 kB per change.
 *
 * <p>Coalescing: each Loc-RIB entry remembers the sequence number of its latest change, and an
 * older entry for the same prefix is skipped (the newer one, later in the journal, sends the
 * latest state). Bounds: entries every cursor has passed are dropped, and when the journal
 * doubles, superseded entries are compacted away, so it never holds much more than two entries
 * per prefix, however slow a peer is.
 */
final class ChangeJournal {
    private static final int MIN_COMPACT = 1024;

    /** A reader's position: the sequence number of the next change it has not handled. */
    static final class Cursor {
        private long next;
    }

    private final List<Cursor> cursors = new ArrayList<>();
    private Cidr[] prefixes = new Cidr[16];
    /**
     * Each entry's table entry, kept rather than looked up by prefix: every peer's drain visits
     * every change (10 peers × 100,000 prefixes in bench/bgp-ingest). A Dest that went out of the
     * table is dead for good (a prefix that comes back gets a new one), so it is never the latest.
     */
    private Dest[] dests = new Dest[16];
    private long[] seqs = new long[16];
    private int head;
    private int tail;
    private long nextSeq;
    private int compactAt = MIN_COMPACT;

    ChangeJournal() {
    }

    /** A reader starting after every change so far (it learns the current state from a table walk). */
    Cursor open() {
        Cursor c = new Cursor();
        c.next = nextSeq;
        cursors.add(c);
        return c;
    }

    void close(Cursor c) {
        cursors.remove(c);
        trim();
    }

    /** Records that the selection of {@code prefix} (whose entry is {@code d}) changed. */
    void append(Cidr prefix, Dest d) {
        d.lastChange = nextSeq;
        if (cursors.isEmpty()) {
            nextSeq++; // nobody to tell
            return;
        }
        if (tail == prefixes.length) {
            makeRoom();
        }
        prefixes[tail] = prefix;
        dests[tail] = d;
        seqs[tail++] = nextSeq++;
        if (tail - head >= compactAt) {
            compact();
        }
    }

    boolean hasPending(Cursor c) {
        return c.next < nextSeq;
    }

    /** The prefixes the cursor has still to handle; walks them, so for status only. */
    int pending(Cursor c) {
        int n = 0;
        for (int i = indexOf(c.next); i < tail; i++) {
            if (isLatest(i)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Hands the latest change of each prefix from the cursor on to {@code visitor}, with its table
     * entry (looked up once here, not again by each peer's visitor), advancing the cursor past each
     * one it accepts. Stops at the first it refuses (it stays for next time); returns whether it
     * reached the end.
     */
    boolean drain(Cursor c, BiPredicate<Cidr, Dest> visitor) {
        for (int i = indexOf(c.next); i < tail; i++) {
            Dest d = latest(i);
            if (d != null && !visitor.test(prefixes[i], d)) {
                c.next = seqs[i];
                trim();
                return false;
            }
        }
        c.next = nextSeq;
        trim();
        return true;
    }

    int size() {
        return tail - head;
    }

    private boolean isLatest(int i) {
        return latest(i) != null;
    }

    /** The entry's table entry if entry {@code i} is its prefix's latest change, else null. */
    private Dest latest(int i) {
        Dest d = dests[i];
        return d.lastChange == seqs[i] && !d.isDead() ? d : null;
    }

    /** The index of the first entry with a sequence number of at least {@code seq}. */
    private int indexOf(long seq) {
        int i = Arrays.binarySearch(seqs, head, tail, seq);
        return i >= 0 ? i : -i - 1;
    }

    /** Drops the entries every cursor has passed. */
    private void trim() {
        long min = nextSeq;
        for (Cursor c : cursors) {
            min = Math.min(min, c.next);
        }
        int to = indexOf(min);
        Arrays.fill(prefixes, head, to, null);
        Arrays.fill(dests, head, to, null);
        head = to;
        if (head == tail) {
            head = 0;
            tail = 0;
            if (prefixes.length > MIN_COMPACT) { // let a burst's arrays go
                prefixes = new Cidr[16];
                dests = new Dest[16];
                seqs = new long[16];
            }
        }
    }

    private void makeRoom() {
        trim();
        if (head > 0) {
            shift();
        }
        if (tail == prefixes.length) {
            prefixes = Arrays.copyOf(prefixes, prefixes.length * 2);
            dests = Arrays.copyOf(dests, dests.length * 2);
            seqs = Arrays.copyOf(seqs, seqs.length * 2);
        }
    }

    private void shift() {
        int n = tail - head;
        System.arraycopy(prefixes, head, prefixes, 0, n);
        System.arraycopy(dests, head, dests, 0, n);
        System.arraycopy(seqs, head, seqs, 0, n);
        Arrays.fill(prefixes, n, tail, null);
        Arrays.fill(dests, n, tail, null);
        head = 0;
        tail = n;
    }

    /** Removes superseded entries; sequence numbers stay, so cursors stay valid. */
    private void compact() {
        trim();
        int w = head;
        for (int i = head; i < tail; i++) {
            if (isLatest(i)) {
                prefixes[w] = prefixes[i];
                dests[w] = dests[i];
                seqs[w++] = seqs[i];
            }
        }
        Arrays.fill(prefixes, w, tail, null);
        Arrays.fill(dests, w, tail, null);
        tail = w;
        shift();
        compactAt = Math.max(MIN_COMPACT, 2 * (tail - head));
    }
}
