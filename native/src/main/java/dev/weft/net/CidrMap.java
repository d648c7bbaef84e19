package dev.weft.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * A map keyed by {@link Cidr} for tables of many prefixes (a BGP speaker's Loc-RIB and FIB hold a
 * full table each). IPv4 prefixes live in an open-addressing table of their own: the address and
 * length packed in a {@code long}, so a lookup compares primitives in one array instead of
 * following a {@link HashMap} node, its {@code Cidr} key and that key's address (three dependent
 * loads per probe), and an entry costs no node object (32 bytes the young collector copies).
 * IPv6 prefixes, rarer, go to a plain {@link HashMap}.
 *
 * <p>Keys are equal as {@link Cidr#equals} says: by address as given and length. Values must not be
 * null. Not thread-safe. Walks ({@link #forEach}, {@link #values}, {@link #removeIf}) see each
 * entry once; the map must not be changed during a {@link #forEach} except through
 * {@link #removeIf}.
 */
public final class CidrMap<V> {
    private static final int MIN_CAPACITY = 16;

    /** Packed IPv4 keys ({@link #pack}); a slot is empty when its value is null. */
    private long[] keys;
    /** The Cidr of each slot, as put: walks hand it out, lookups never touch it. */
    private Cidr[] cidrs;
    private Object[] values;
    private int mask;
    /** 64 - log2(capacity): a slot is the top bits of the key's product with the golden ratio. */
    private int shift;
    private int v4Size;
    /** Grow when v4Size reaches this (a load factor of 1/2: linear probes stay short). */
    private int growAt;
    private final Map<Cidr, V> v6 = new HashMap<>();

    public CidrMap() {
        allocate(MIN_CAPACITY);
    }

    private void allocate(int capacity) {
        keys = new long[capacity];
        cidrs = new Cidr[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
        shift = 64 - Integer.numberOfTrailingZeros(capacity);
        growAt = capacity / 2;
    }

    /** The address's 32 bits above its length's 6: distinct for distinct IPv4 Cidrs. */
    private static long pack(Cidr c) {
        return (Integer.toUnsignedLong(c.address().v4) << 6) | c.prefixLength();
    }

    private int slot(long key) {
        // Fibonacci hashing: prefixes of one block differ only in a few middle bits, and the
        // product's top bits depend on all of them
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> shift);
    }

    /** The slot holding {@code key}, or the empty slot where it would go (as -1 - slot). */
    private int find(long key) {
        int i = slot(key);
        while (values[i] != null) {
            if (keys[i] == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1 - i;
    }

    public int size() {
        return v4Size + v6.size();
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    @SuppressWarnings("unchecked")
    public V get(Cidr key) {
        if (key.address().v6) {
            return v6.get(key);
        }
        int i = find(pack(key));
        return i >= 0 ? (V) values[i] : null;
    }

    public boolean containsKey(Cidr key) {
        return get(key) != null;
    }

    /** Puts {@code value} (not null) under {@code key}; returns the value it replaced, or null. */
    @SuppressWarnings("unchecked")
    public V put(Cidr key, V value) {
        Objects.requireNonNull(value, "value");
        if (key.address().v6) {
            return v6.put(key, value);
        }
        long k = pack(key);
        int i = find(k);
        if (i >= 0) {
            V old = (V) values[i];
            values[i] = value;
            cidrs[i] = key;
            return old;
        }
        insertAt(-1 - i, k, key, value);
        return null;
    }

    /** The value under {@code key}, or {@code make}'s (not null) put there first. */
    @SuppressWarnings("unchecked")
    public V computeIfAbsent(Cidr key, Function<? super Cidr, ? extends V> make) {
        if (key.address().v6) {
            return v6.computeIfAbsent(key, make);
        }
        long k = pack(key);
        int i = find(k);
        if (i >= 0) {
            return (V) values[i];
        }
        V v = Objects.requireNonNull(make.apply(key), "computed value");
        insertAt(-1 - i, k, key, v);
        return v;
    }

    private void insertAt(int i, long k, Cidr key, Object value) {
        keys[i] = k;
        cidrs[i] = key;
        values[i] = value;
        if (++v4Size >= growAt) {
            grow();
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        Cidr[] oldCidrs = cidrs;
        Object[] oldValues = values;
        allocate(oldKeys.length * 2);
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldValues[j] != null) {
                int i = slot(oldKeys[j]);
                while (values[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                cidrs[i] = oldCidrs[j];
                values[i] = oldValues[j];
            }
        }
    }

    /** Removes {@code key}'s entry; returns its value, or null. */
    @SuppressWarnings("unchecked")
    public V remove(Cidr key) {
        if (key.address().v6) {
            return v6.remove(key);
        }
        int i = find(pack(key));
        if (i < 0) {
            return null;
        }
        V old = (V) values[i];
        removeAt(i);
        return old;
    }

    /** Removes {@code key}'s entry if its value is {@code value} (by identity or equals). */
    public boolean remove(Cidr key, V value) {
        if (key.address().v6) {
            return v6.remove(key, value);
        }
        int i = find(pack(key));
        if (i < 0 || !Objects.equals(values[i], value)) {
            return false;
        }
        removeAt(i);
        return true;
    }

    /** Empties slot {@code i}, shifting back the entries that probed past it (no tombstones). */
    private void removeAt(int i) {
        v4Size--;
        int gap = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (values[j] == null) {
                break;
            }
            int home = slot(keys[j]);
            // the entry at j may move into the gap if its home is not cyclically within (gap, j]
            if (((j - home) & mask) >= ((j - gap) & mask)) {
                keys[gap] = keys[j];
                cidrs[gap] = cidrs[j];
                values[gap] = values[j];
                gap = j;
            }
        }
        keys[gap] = 0;
        cidrs[gap] = null;
        values[gap] = null;
    }

    public void clear() {
        allocate(MIN_CAPACITY);
        v4Size = 0;
        v6.clear();
    }

    /** Visits every entry; the visitor must not change the map. */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<? super Cidr, ? super V> visitor) {
        Object[] vs = values;
        Cidr[] cs = cidrs;
        for (int i = 0; i < vs.length; i++) {
            if (vs[i] != null) {
                visitor.accept(cs[i], (V) vs[i]);
            }
        }
        v6.forEach(visitor);
    }

    /**
     * Visits every entry and removes those {@code test} answers true for; the test may change the
     * value's own state, not the map. Returns how many went.
     */
    public int removeIf(BiPredicate<? super Cidr, ? super V> test) {
        List<Cidr> gone = new ArrayList<>();
        forEach((k, v) -> {
            if (test.test(k, v)) {
                gone.add(k);
            }
        });
        for (Cidr k : gone) {
            remove(k);
        }
        return gone.size();
    }

    /** A snapshot of the values. */
    public List<V> values() {
        List<V> out = new ArrayList<>(size());
        forEach((k, v) -> out.add(v));
        return out;
    }

    /** A snapshot of the keys. */
    public List<Cidr> keys() {
        List<Cidr> out = new ArrayList<>(size());
        forEach((k, v) -> out.add(k));
        return out;
    }
}
