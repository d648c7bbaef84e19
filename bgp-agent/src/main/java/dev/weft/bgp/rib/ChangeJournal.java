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
 *
 * <p>Audiences: each change comes with the kinds of peer it can matter to ({@link ExportPolicy}'s
 * {@code TO_} bits). A change no open reader's kind can hear of is not stored at all, and a reader
 * with nothing for its kind since its position jumps to the end without a walk: in an iBGP mesh
 * without reflection a full table from one peer costs the other peers nothing (bench/bgp-ingest,
 * 10 peers: each of them used to walk the 90,000 changes of the others and send none).
 */
final class ChangeJournal {
    private static final int MIN_COMPACT = 1024;

    /** A reader's position: the sequence number of the next change it has not handled. */
    static final class Cursor {
        private final int kind;
        private long next;

        private Cursor(int kind) {
            this.kind = kind;
        }
    }

    private final List<Cursor> cursors = new ArrayList<>();
    /** The kinds of the open readers, as audience bits, and how many readers have each bit. */
    private int readerKinds;
    private final int[] readersOfBit = new int[Integer.SIZE];
    /** Per audience bit, the sequence number of the latest change with that bit, -1 for none. */
    private final long[] lastFor = new long[Integer.SIZE];
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
        Arrays.fill(lastFor, -1);
    }

    /**
     * A reader of one kind (a single audience bit) starting after every change so far (it learns
     * the current state from a table walk).
     */
    Cursor open(int kind) {
        if (Integer.bitCount(kind) != 1) {
            throw new IllegalArgumentException("a reader has one kind: " + kind);
        }
        Cursor c = new Cursor(kind);
        c.next = nextSeq;
        cursors.add(c);
        readersOfBit[Integer.numberOfTrailingZeros(kind)]++;
        readerKinds |= kind;
        return c;
    }

    void close(Cursor c) {
        if (cursors.remove(c) && --readersOfBit[Integer.numberOfTrailingZeros(c.kind)] == 0) {
            readerKinds &= ~c.kind;
        }
        trim();
    }

    /**
     * Records that the selection of {@code prefix} (whose entry is {@code d}) changed, and which
     * kinds of reader it can matter to: a reader of another kind skips it.
     */
    void append(Cidr prefix, Dest d, int audience) {
        d.lastChange = nextSeq;
        if ((audience & readerKinds) == 0) {
            nextSeq++; // nobody to tell
            return;
        }
        for (int bits = audience & readerKinds; bits != 0; bits &= bits - 1) {
            lastFor[Integer.numberOfTrailingZeros(bits)] = nextSeq;
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

    /** The sequence number the next change will get. */
    long nextSeq() {
        return nextSeq;
    }

    boolean hasPending(Cursor c) {
        return c.next < nextSeq && !nothingFor(c);
    }

    /** Whether no change since the cursor's position can matter to its kind. */
    private boolean nothingFor(Cursor c) {
        return lastFor[Integer.numberOfTrailingZeros(c.kind)] < c.next;
    }

    /** The prefixes the cursor has still to handle; walks them, so for status only. */
    int pending(Cursor c) {
        if (nothingFor(c)) {
            return 0;
        }
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
        if (nothingFor(c)) {
            c.next = nextSeq;
            trim();
            return true;
        }
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

    /**
     * Drops the entries every cursor has passed. A cursor with nothing for its kind is moved to the
     * end first: its peer is never told to drain, and would otherwise hold the others' entries.
     */
    private void trim() {
        long min = nextSeq;
        for (Cursor c : cursors) {
            if (nothingFor(c)) {
                c.next = nextSeq;
            }
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
