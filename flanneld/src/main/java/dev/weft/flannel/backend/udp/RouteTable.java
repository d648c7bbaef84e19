package dev.weft.flannel.backend.udp;

import dev.weft.net.Cidr;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable IPv4 longest-prefix-match table from subnet to peer address. One open-addressing
 * hash table per prefix length present (usually just one, the lease length), probed from the
 * longest length down, so a lookup costs a few array reads and never allocates. Lease changes
 * build a new table and swap it in.
 */
final class RouteTable {
    static final RouteTable EMPTY = new RouteTable(new TreeMap<>());

    private final int[] lengths;      // prefix lengths present, longest first
    private final int[][] keys;       // per length: network addresses
    private final int[][] slots;      // per length: index + 1 into peers, 0 = empty
    private final InetSocketAddress[] peers;
    private final int size;

    private RouteTable(TreeMap<Cidr, InetSocketAddress> routes) {
        TreeMap<Integer, Map<Integer, InetSocketAddress>> byLength = new TreeMap<>((x, y) -> y - x);
        for (Map.Entry<Cidr, InetSocketAddress> e : routes.entrySet()) {
            Cidr c = e.getKey();
            byLength.computeIfAbsent(c.prefixLength(), k -> new TreeMap<>())
                    .put(c.networkAddress().toV4Int() & mask(c.prefixLength()), e.getValue());
        }
        lengths = new int[byLength.size()];
        keys = new int[byLength.size()][];
        slots = new int[byLength.size()][];
        peers = new InetSocketAddress[routes.size()];
        int li = 0;
        int pi = 0;
        for (Map.Entry<Integer, Map<Integer, InetSocketAddress>> e : byLength.entrySet()) {
            int cap = Integer.highestOneBit(Math.max(4, e.getValue().size() * 2)) * 2;
            int[] k = new int[cap];
            int[] s = new int[cap];
            for (Map.Entry<Integer, InetSocketAddress> r : e.getValue().entrySet()) {
                int key = r.getKey();
                int i = hash(key) & (cap - 1);
                while (s[i] != 0) {
                    i = (i + 1) & (cap - 1);
                }
                k[i] = key;
                peers[pi] = r.getValue();
                s[i] = ++pi;
            }
            lengths[li] = e.getKey();
            keys[li] = k;
            slots[li] = s;
            li++;
        }
        size = pi;
    }

    /** A table of these routes (a later entry for the same subnet wins). */
    static RouteTable of(Map<Cidr, InetSocketAddress> routes) {
        TreeMap<Cidr, InetSocketAddress> t = new TreeMap<>();
        routes.forEach((c, a) -> {
            if (!c.isV4()) {
                throw new IllegalArgumentException("IPv4 subnets only: " + c);
            }
            t.put(c.network(), a);
        });
        return new RouteTable(t);
    }

    /** The peer for {@code dst} (an IPv4 address as an int), or null. */
    InetSocketAddress lookup(int dst) {
        int[] ls = lengths;
        for (int li = 0; li < ls.length; li++) {
            int key = dst & mask(ls[li]);
            int[] k = keys[li];
            int[] s = slots[li];
            int m = k.length - 1;
            int i = hash(key) & m;
            int slot;
            while ((slot = s[i]) != 0) {
                if (k[i] == key) {
                    return peers[slot - 1];
                }
                i = (i + 1) & m;
            }
        }
        return null;
    }

    int size() {
        return size;
    }

    private static int mask(int len) {
        return len == 0 ? 0 : -1 << (32 - len);
    }

    private static int hash(int key) {
        int h = key * 0x9E3779B1;
        return h ^ (h >>> 16);
    }

    @Override
    public String toString() {
        return "RouteTable" + Arrays.toString(lengths) + " size=" + size;
    }
}
