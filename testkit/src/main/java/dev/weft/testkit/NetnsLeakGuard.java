package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Lists {@code wt-} network namespaces and root-namespace {@code wt-} links, and detects the ones a
 * test left behind.
 *
 * <pre>{@code
 * NetnsLeakGuard.Snapshot before = NetnsLeakGuard.snapshot();
 * ... test ...
 * NetnsLeakGuard.assertNoLeaks(before);   // cleans up and throws AssertionError on leaks
 * }</pre>
 *
 * Only resources that appeared after the snapshot count (pre-existing leftovers from elsewhere are
 * ignored), and resources claimed by the kit in another live JVM are ignored too.
 */
public final class NetnsLeakGuard {
    private NetnsLeakGuard() {}

    /** How long to wait for asynchronous teardown (links of a deleted netns) before calling it a leak. */
    public static final Duration SETTLE = Duration.ofSeconds(5);

    /** Names of all {@code wt-} network namespaces ({@code ip -j netns list}). */
    public static Set<String> wtNetns() {
        Set<String> out = new TreeSet<>();
        JsonNode arr = KernelState.parse(Cmd.run("ip", "-j", "netns", "list"));
        for (JsonNode n : arr) {
            String name = n.path("name").asText("");
            if (name.startsWith(Names.PREFIX)) {
                out.add(name);
            }
        }
        return out;
    }

    /** Names of all {@code wt-} links in the root network namespace. */
    public static Set<String> wtLinks() {
        return wtLinks(null);
    }

    /** Names of all {@code wt-} links in the given namespace (null = root). */
    public static Set<String> wtLinks(String ns) {
        return KernelState.links(ns).stream().map(LinkInfo::ifname)
                .filter(n -> n.startsWith(Names.PREFIX))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Kit-started background processes (etcd, ...) still alive in this JVM. */
    public static Set<BackgroundProcess> kitProcesses() {
        return Cleanup.liveProcesses();
    }

    /**
     * @param processOwners owners of live kit processes (an {@link EtcdServer} for its etcd): a shared etcd
     *                      restarted during a test is the same owner, hence not a leak
     */
    public record Snapshot(Set<String> netns, Set<String> links, Set<Object> processOwners) {
        public Snapshot {
            netns = Set.copyOf(netns);
            links = Set.copyOf(links);
            processOwners = Set.copyOf(processOwners);
        }
    }

    public record Leaks(Set<String> netns, Set<String> links, Set<BackgroundProcess> processes) {
        public boolean isEmpty() {
            return netns.isEmpty() && links.isEmpty() && processes.isEmpty();
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            if (!netns.isEmpty()) {
                parts.add("netns " + netns);
            }
            if (!links.isEmpty()) {
                parts.add("root-namespace links " + links);
            }
            if (!processes.isEmpty()) {
                parts.add("processes " + processes);
            }
            return parts.isEmpty() ? "no leaks" : String.join(", ", parts);
        }
    }

    public static Snapshot snapshot() {
        Set<Object> owners = new java.util.HashSet<>();
        kitProcesses().forEach(p -> owners.add(p.owner()));
        return new Snapshot(wtNetns(), wtLinks(), owners);
    }

    /** What exists now but did not at {@code before} (polling up to {@code settle} for async teardown). */
    public static Leaks leaksSince(Snapshot before, Duration settle) {
        long deadline = System.nanoTime() + settle.toNanos();
        while (true) {
            Leaks l = diff(before);
            // `ip netns del` and process exit are synchronous: only root links (peers of links in a
            // namespace being destroyed) may still be on their way out
            if (l.isEmpty() || !l.netns().isEmpty() || !l.processes().isEmpty() || System.nanoTime() > deadline) {
                return l;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return l;
            }
        }
    }

    /** Prefix of the namespaces {@code dist/cni/bin/install} creates for its CDS training run. */
    static final String INSTALL_TRAINING_PREFIX = "wt-cds-";

    private static Leaks diff(Snapshot before) {
        Set<String> foreign = Cleanup.claimedByOtherJvms();
        Set<String> ns = new TreeSet<>(wtNetns());
        ns.removeAll(before.netns());
        ns.removeAll(foreign);
        // `install` trains the CNI plugins' CDS archives in throwaway wt-cds-* namespaces that it
        // removes itself; an install running beside a test JVM is not that test's leak
        ns.removeIf(n -> n.startsWith(INSTALL_TRAINING_PREFIX));
        Set<String> links = new TreeSet<>(wtLinks());
        links.removeAll(before.links());
        links.removeAll(foreign);
        Set<BackgroundProcess> procs = new java.util.LinkedHashSet<>(kitProcesses());
        procs.removeIf(p -> before.processOwners().contains(p.owner()));
        return new Leaks(ns, links, procs);
    }

    /** Removes the leaked resources: stops processes, deletes links, deletes namespaces. */
    public static void cleanUp(Leaks leaks) {
        for (BackgroundProcess p : leaks.processes()) {
            p.kill();
        }
        for (String l : leaks.links()) {
            Cleanup.deleteRootLinkQuietly(l);
        }
        for (String n : leaks.netns()) {
            Cleanup.deleteNetnsQuietly(n);
        }
    }

    /** Throws an {@link AssertionError} (after cleaning up) if anything leaked since {@code before}. */
    public static void assertNoLeaks(Snapshot before) {
        Leaks leaks = leaksSince(before, SETTLE);
        if (!leaks.isEmpty()) {
            cleanUp(leaks);
            throw new AssertionError("test leaked kernel resources (now removed): " + leaks);
        }
    }

    /** Throws if any of the given network namespaces still exists. */
    public static void assertGone(Set<String> netnsNames) {
        Set<String> still = new TreeSet<>(wtNetns());
        still.retainAll(netnsNames);
        if (!still.isEmpty()) {
            throw new AssertionError("network namespaces still present: " + still);
        }
    }
}
