package dev.weft.bench.bgp;

import dev.weft.sysctl.Sysctl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's IPv4 neighbour (ARP) table limits, raised for a simulated cluster and put back after.
 * The table and its limits ({@code net.ipv4.neigh.default.gc_thresh1..3}, writable in the host's
 * namespace only) are one for the whole kernel, every network namespace's entries counted
 * together. A real node holds one entry per node it talks to; N simulated nodes in one kernel,
 * each in a full mesh with the others, hold N × N. Past gc_thresh3 (1,024 by default, so about 32
 * nodes) the kernel refuses new entries ("neighbor table overflow", {@code table_fulls} in
 * /proc/net/stat/arp_cache) and evicts others: a node then loses its way to etcd and its peers,
 * which is the simulation's limit, not the nodes'.
 */
final class NeighbourLimits implements AutoCloseable {
    private static final String T2 = "net/ipv4/neigh/default/gc_thresh2";
    private static final String T3 = "net/ipv4/neigh/default/gc_thresh3";

    private final String old2;
    private final String old3;
    private final boolean raised;

    private NeighbourLimits(String old2, String old3, boolean raised) {
        this.old2 = old2;
        this.old3 = old3;
        this.raised = raised;
    }

    /**
     * Raises gc_thresh2 (above which entries older than 5 s are collected) and gc_thresh3 (the hard
     * limit) to room for {@code entries} when they are lower; says what it did on stdout.
     */
    static NeighbourLimits atLeast(int entries) {
        String old2 = Sysctl.read(T2);
        String old3 = Sysctl.read(T3);
        if (Integer.parseInt(old2) >= entries && Integer.parseInt(old3) >= 2 * entries) {
            return new NeighbourLimits(old2, old3, false);
        }
        int soft = Math.max(Integer.parseInt(old2), entries);
        int hard = Math.max(Integer.parseInt(old3), 2 * entries);
        Sysctl.write(T3, Integer.toString(hard));
        Sysctl.write(T2, Integer.toString(soft));
        System.out.printf("    (neighbour table: gc_thresh2/3 %s/%s -> %d/%d for about %d entries: every simulated node shares this"
                + " kernel's table; put back at the end)%n", old2, old3, soft, hard, entries);
        return new NeighbourLimits(old2, old3, true);
    }

    /** The kernel's count of neighbour entries refused for a full table, since boot (all CPUs). */
    static long tableFulls() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/stat/arp_cache"));
            String[] head = lines.get(0).trim().split("\\s+");
            int col = List.of(head).indexOf("table_fulls");
            long sum = 0;
            for (String l : lines.subList(1, lines.size())) {
                sum += Long.parseLong(l.trim().split("\\s+")[col], 16);
            }
            return sum;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (raised) {
            Sysctl.write(T2, old2);
            Sysctl.write(T3, old3);
        }
    }
}
