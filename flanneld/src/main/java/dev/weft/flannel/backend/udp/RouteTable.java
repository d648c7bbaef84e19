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
 * build a new table and swap it in. The receiving side asks it the reverse questions too: is a
 * sender a lease holder at all, and is an address in a subnet that sender holds. The userspace
 * IPIP data path uses it too, with port 0 and {@link #lookupAddress}.
 */
public final class RouteTable {
    public static final RouteTable EMPTY = new RouteTable(new TreeMap<>());

    private final int[] lengths;      // prefix lengths present, longest first
    private final int[][] keys;       // per length: network addresses
    private final int[][] slots;      // per length: index + 1 into peers, 0 = empty
    private final InetSocketAddress[] peers;
    /** Per peer: its IPv4 address as an int (what a datagram's outer source is compared with). */
    private final int[] peerIps;
    /** The set of peer addresses: open addressing, {@link #senderUsed} marks the taken slots. */
    private final int[] senders;
    private final boolean[] senderUsed;
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
        peerIps = new int[pi];
        int cap = Integer.highestOneBit(Math.max(4, pi * 2)) * 2;
        senders = new int[cap];
        senderUsed = new boolean[cap];
        for (int i = 0; i < pi; i++) {
            int ip = v4(peers[i]);
            peerIps[i] = ip;
            int at = hash(ip) & (cap - 1);
            while (senderUsed[at] && senders[at] != ip) {
                at = (at + 1) & (cap - 1);
            }
            senders[at] = ip;
            senderUsed[at] = true;
        }
    }

    private static int v4(InetSocketAddress a) {
        byte[] b = a.getAddress().getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException("IPv4 peers only: " + a);
        }
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** A table of these routes (a later entry for the same subnet wins). */
    public static RouteTable of(Map<Cidr, InetSocketAddress> routes) {
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
    public InetSocketAddress lookup(int dst) {
        int i = indexOf(dst);
        return i < 0 ? null : peers[i];
    }

    /** The IPv4 address (as an int) of the peer for {@code dst}, or 0 when none: no peer is 0.0.0.0. */
    public int lookupAddress(int dst) {
        int i = indexOf(dst);
        return i < 0 ? 0 : peerIps[i];
    }

    /** Whether {@code ip} is the address of a peer in the table (a lease's PublicIP). */
    public boolean isPeer(int ip) {
        int[] k = senders;
        boolean[] used = senderUsed;
        int m = k.length - 1;
        for (int i = hash(ip) & m; used[i]; i = (i + 1) & m) {
            if (k[i] == ip) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code addr} is in a subnet whose peer is {@code peerIp} (its longest match, that is). */
    boolean routesVia(int addr, int peerIp) {
        int i = indexOf(addr);
        return i >= 0 && peerIps[i] == peerIp;
    }

    /** The index into the peers of {@code dst}'s longest match, or -1. */
    private int indexOf(int dst) {
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
                    return slot - 1;
                }
                i = (i + 1) & m;
            }
        }
        return -1;
    }

    public int size() {
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
