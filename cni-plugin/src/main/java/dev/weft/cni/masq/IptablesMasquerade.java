package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import dev.weft.cni.spec.CniError;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The reference's iptables masquerade, rule for rule: per (network, containerID) a nat chain
 * {@code CNI-<hash>} holding {@code -d <subnet> -j ACCEPT} and {@code ! -d <multicast> -j MASQUERADE},
 * entered from POSTROUTING by {@code -s <pod ip> -j CNI-<hash>}; every rule carries the comment
 * {@code name: "<net>" id: "<cid>"}.
 *
 * <p>Where the reference starts {@code iptables} nine times for each new address (--version, -S,
 * -N, then -C and -A for each of three rules), one operation here is one {@code iptables-save -t nat}
 * per family to see what is there and, only if something is missing, one
 * {@code iptables-restore -w --noflush} that applies the difference atomically. AppendUnique is decided on the saved rules, so the result, and its rule
 * order, is what the reference's sequence of -C/-A would leave.
 */
public final class IptablesMasquerade implements Masquerade {
    /** A restore fails as a whole if a concurrent writer changed what we planned against; replan. */
    private static final int ATTEMPTS = 3;

    private final CommandRunner runner;

    public IptablesMasquerade(CommandRunner runner) {
        this.runner = runner;
    }

    public IptablesMasquerade() {
        this(CommandRunner.local());
    }

    @Override
    public void setup(String network, String containerId, String ifname, List<Cidr> addresses) {
        // Like the reference, the chain ignores ifname: it is keyed by network and container only.
        String chain = AttachmentTags.iptablesChain(network, containerId);
        String comment = AttachmentTags.iptablesComment(network, containerId);
        for (Map.Entry<IptablesFamily, List<Cidr>> e : byFamily(addresses).entrySet()) {
            IptablesFamily family = e.getKey();
            List<Cidr> cidrs = e.getValue();
            String what = "failed to set up IP masquerade for " + describe(network, containerId);
            try {
                apply(family, table -> setupLines(table, chain, comment, family, cidrs), what);
            } catch (CommandRunner.ToolMissingException ex) {
                throw new CniError(CniError.INTERNAL, what + ": " + ex.getMessage());
            }
        }
    }

    /** The appends the reference's NewChain/AppendUnique sequence would make on this table. */
    static List<String> setupLines(NatTable table, String chain, String comment, IptablesFamily family,
                                   List<Cidr> cidrs) {
        List<String> lines = new ArrayList<>();
        boolean chainExists = table.hasChain(chain);
        Map<String, List<IptablesRule>> present = new HashMap<>();
        for (NatTable.SavedRule r : table.rules()) {
            present.computeIfAbsent(r.rule().chain(), k -> new ArrayList<>()).add(r.rule());
        }
        for (Cidr cidr : cidrs) {
            if (!chainExists) {
                // Only for a missing chain: with --noflush, declaring an existing chain empties it.
                lines.add(":" + chain + " - [0:0]");
                chainExists = true;
            }
            for (IptablesRule rule : List.of(
                    IptablesRule.acceptSubnet(chain, cidr, comment),
                    IptablesRule.masquerade(chain, family, comment),
                    IptablesRule.jump(chain, cidr, comment))) {
                List<IptablesRule> inChain = present.computeIfAbsent(rule.chain(), k -> new ArrayList<>());
                if (!inChain.contains(rule)) {
                    inChain.add(rule);
                    lines.add(rule.toAppendLine());
                }
            }
        }
        return lines;
    }

    /**
     * Removes every jump to the attachment's chain (the {@code -s ip} form and the legacy
     * {@code -s ip/prefix} one, and jumps for addresses the caller no longer knows), then flushes
     * and deletes the chain. The addresses only select the families; none means both.
     */
    @Override
    public void teardown(String network, String containerId, String ifname, List<Cidr> addresses) {
        String chain = AttachmentTags.iptablesChain(network, containerId);
        Set<IptablesFamily> families = addresses.isEmpty()
                ? Set.of(IptablesFamily.IPV4, IptablesFamily.IPV6)
                : byFamily(addresses).keySet();
        for (IptablesFamily family : IptablesFamily.values()) {
            if (!families.contains(family)) {
                continue;
            }
            try {
                apply(family, table -> removalLines(table, List.of(chain)),
                        "failed to tear down IP masquerade for " + describe(network, containerId));
            } catch (CommandRunner.ToolMissingException e) {
                // Without the tool nothing can have been set up through it: already torn down.
            }
        }
    }

    /** Deletes of the jumps into the chains, then flush and delete of each chain that exists. */
    static List<String> removalLines(NatTable table, List<String> chains) {
        List<String> lines = new ArrayList<>();
        for (String chain : chains) {
            for (NatTable.SavedRule jump : table.jumpsTo(chain)) {
                lines.add("-D " + jump.rule().chain() + " " + jump.spec());
            }
        }
        for (String chain : chains) {
            if (table.hasChain(chain)) {
                lines.add("-F " + chain);
                lines.add("-X " + chain);
            }
        }
        return lines;
    }

    /**
     * The reference cannot GC iptables state (it has no way to tell networks apart); we can, because
     * every rule carries {@code name: "<net>" id: "<cid>"} and the chain name is the hash of both.
     * A chain counts as this network's only when a comment in or into it names this network and a
     * container whose chain name is exactly this chain.
     */
    @Override
    public GcResult gc(String network, Collection<Attachment> valid) {
        Set<String> validIds = new HashSet<>();
        for (Attachment a : valid) {
            validIds.add(a.containerId());
        }
        GcResult result = GcResult.empty();
        for (IptablesFamily family : IptablesFamily.values()) {
            result = result.plus(gcFamily(family, network, validIds));
        }
        return result;
    }

    private GcResult gcFamily(IptablesFamily family, String network, Set<String> validIds) {
        NatTable table;
        try {
            table = save(family);
        } catch (CommandRunner.ToolMissingException e) {
            return GcResult.empty();   // no such tool: nothing can have been set up with it
        } catch (CniError e) {
            return new GcResult(List.of(), List.of(e.getMessage() + ": " + e.details()));
        }
        Map<String, String> stale = staleChains(table, network, validIds);
        if (stale.isEmpty()) {
            return GcResult.empty();
        }
        List<GcResult.Removal> removed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        CommandRunner.Result batch = restore(family, removalLines(table, List.copyOf(stale.keySet())));
        if (batch.ok()) {
            stale.forEach((chain, id) -> removed.add(removal(family, chain, id)));
        } else {
            // One bad chain fails the whole transaction; retry one by one to remove all the others.
            stale.forEach((chain, id) -> {
                CommandRunner.Result r = restore(family, removalLines(table, List.of(chain)));
                if (r.ok()) {
                    removed.add(removal(family, chain, id));
                } else {
                    errors.add("failed to remove " + family.tool() + " nat chain " + chain + " of container "
                            + GoQuote.quote(id) + ": " + r.describe());
                }
            });
        }
        return new GcResult(removed, errors);
    }

    /** Chain name → container ID, for the chains of {@code network} whose container is not valid. */
    static Map<String, String> staleChains(NatTable table, String network, Set<String> validIds) {
        Map<String, String> stale = new LinkedHashMap<>();
        for (String chain : table.chains()) {
            if (!chain.startsWith(AttachmentTags.CHAIN_PREFIX)) {
                continue;
            }
            String owner = ownerOf(table, chain, network);
            if (owner != null && !validIds.contains(owner)) {
                stale.put(chain, owner);
            }
        }
        return stale;
    }

    private static String ownerOf(NatTable table, String chain, String network) {
        List<NatTable.SavedRule> candidates = new ArrayList<>(table.rulesIn(chain));
        candidates.addAll(table.jumpsTo(chain));
        for (NatTable.SavedRule r : candidates) {
            AttachmentTags.Owner o = AttachmentTags.parseIptablesComment(r.rule().comment());
            if (o != null && o.network().equals(network)
                    && AttachmentTags.iptablesChain(network, o.containerId()).equals(chain)) {
                return o.containerId();
            }
        }
        return null;
    }

    private static GcResult.Removal removal(IptablesFamily family, String chain, String containerId) {
        return new GcResult.Removal(family.tool(), containerId, "nat chain " + chain + " and its POSTROUTING jumps");
    }

    // ---------------------------------------------------------------- tools

    /** Save, plan against what is there, restore the difference; replans after a failed restore. */
    private void apply(IptablesFamily family, Function<NatTable, List<String>> plan, String what) {
        CommandRunner.Result last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            List<String> lines = plan.apply(save(family));
            if (lines.isEmpty()) {
                return;
            }
            last = restore(family, lines);
            if (last.ok()) {
                return;
            }
            pause(attempt);
        }
        throw new CniError(CniError.INTERNAL, what, last.describe());
    }

    private NatTable save(IptablesFamily family) {
        CommandRunner.Result r = runner.run(List.of(family.saveTool(), "-t", "nat"), null);
        if (!r.ok()) {
            throw new CniError(CniError.INTERNAL, "failed to list " + family.tool() + " nat table", r.describe());
        }
        return NatTable.parse(r.stdout());
    }

    private CommandRunner.Result restore(IptablesFamily family, List<String> lines) {
        StringBuilder in = new StringBuilder("*nat\n");
        for (String l : lines) {
            in.append(l).append('\n');
        }
        in.append("COMMIT\n");
        // -w: wait for the xtables lock like the reference's --wait, so concurrent plugins queue.
        return runner.run(List.of(family.restoreTool(), "-w", "--noflush"), in.toString());
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(20L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<IptablesFamily, List<Cidr>> byFamily(List<Cidr> addresses) {
        Map<IptablesFamily, List<Cidr>> m = new EnumMap<>(IptablesFamily.class);
        for (Cidr c : addresses) {
            m.computeIfAbsent(IptablesFamily.of(c), k -> new ArrayList<>()).add(c);
        }
        return m;
    }

    static String describe(String network, String containerId) {
        return "network " + GoQuote.quote(network) + " container " + GoQuote.quote(containerId);
    }
}
