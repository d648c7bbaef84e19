package dev.weft.cni.masq;

import dev.weft.cni.spec.CniError;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.exec.CommandRunner;
import dev.weft.firewall.FirewallException;
import dev.weft.firewall.IpFamily;
import dev.weft.firewall.Iptables;
import dev.weft.firewall.IptablesRule;
import dev.weft.firewall.RestoreScript;
import dev.weft.firewall.SavedTable;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
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
 * {@code iptables-restore -w --noflush} that applies the difference atomically (the firewall
 * toolkit's {@link Iptables#transact}). AppendUnique is decided on the saved rules with
 * {@link IptablesRule#sameRuleAs}, so the result, and its rule order, is what the reference's
 * sequence of -C/-A would leave.
 */
public final class IptablesMasquerade implements Masquerade {
    private static final String NAT = "nat";

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
        for (Map.Entry<IpFamily, List<Cidr>> e : byFamily(addresses).entrySet()) {
            IpFamily family = e.getKey();
            List<Cidr> cidrs = e.getValue();
            String what = "failed to set up IP masquerade for " + describe(network, containerId);
            try {
                apply(family, table -> setupLines(table, chain, comment, family, cidrs), what);
            } catch (CommandRunner.ToolMissingException ex) {
                throw new CniError(CniError.INTERNAL, what + ": " + ex.getMessage());
            }
        }
    }

    /** {@code -A <chain> -d <pod subnet> -j ACCEPT}: traffic inside the pod's subnet keeps its source. */
    static IptablesRule acceptSubnet(String chain, Cidr podAddress, String comment) {
        return commented(chain, comment, "-d", addressText(podAddress.network()), "-j", "ACCEPT");
    }

    /** {@code -A <chain> ! -d <multicast> -j MASQUERADE}. */
    static IptablesRule masquerade(String chain, IpFamily family, String comment) {
        return commented(chain, comment, "!", "-d", family.multicast().toString(), "-j", "MASQUERADE");
    }

    /** {@code -A POSTROUTING -s <pod ip> -j <chain>}. */
    static IptablesRule jump(String chain, Cidr podAddress, String comment) {
        return commented("POSTROUTING", comment, "-s", podAddress.address().toString(), "-j", chain);
    }

    /** Options in the order the reference passes them to {@code iptables -A}: the comment last. */
    private static IptablesRule commented(String chain, String comment, String... spec) {
        List<String> args = new ArrayList<>(List.of(spec));
        args.addAll(List.of("-m", "comment", "--comment", comment));
        return new IptablesRule(NAT, chain, args);
    }

    private static String addressText(Cidr c) {
        IpAddress a = c.address();
        return c.prefixLength() == a.bitLength() ? a.toString() : c.toString();
    }

    /** The appends the reference's NewChain/AppendUnique sequence would make on this table. */
    static List<String> setupLines(SavedTable table, String chain, String comment, IpFamily family,
                                   List<Cidr> cidrs) {
        List<String> lines = new ArrayList<>();
        boolean chainExists = table.hasChain(chain);
        Set<IptablesRule> present = new HashSet<>();
        for (IptablesRule r : table.rules()) {
            present.add(r.canonical());
        }
        for (Cidr cidr : cidrs) {
            if (!chainExists) {
                // Only for a missing chain: with --noflush, declaring an existing chain empties it.
                lines.add(":" + chain + " - [0:0]");
                chainExists = true;
            }
            for (IptablesRule rule : List.of(
                    acceptSubnet(chain, cidr, comment),
                    masquerade(chain, family, comment),
                    jump(chain, cidr, comment))) {
                if (present.add(rule.canonical())) {
                    lines.add(rule.line("-A"));
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
        Set<IpFamily> families = addresses.isEmpty()
                ? Set.of(IpFamily.IPV4, IpFamily.IPV6)
                : byFamily(addresses).keySet();
        for (IpFamily family : IpFamily.values()) {
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
    static List<String> removalLines(SavedTable table, List<String> chains) {
        List<String> lines = new ArrayList<>();
        for (String chain : chains) {
            for (IptablesRule jump : table.referencing(chain)) {
                lines.add(jump.line("-D"));
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
        for (IpFamily family : IpFamily.values()) {
            result = result.plus(gcFamily(family, network, validIds));
        }
        return result;
    }

    private GcResult gcFamily(IpFamily family, String network, Set<String> validIds) {
        Iptables tool = new Iptables(runner, family);
        SavedTable table;
        try {
            table = tool.save(NAT);
        } catch (CommandRunner.ToolMissingException e) {
            return GcResult.empty();   // no such tool: nothing can have been set up with it
        } catch (FirewallException | CommandRunner.AbortedException e) {
            return new GcResult(List.of(), List.of("failed to list " + family.iptables() + " nat table: " + e.getMessage()));
        }
        Map<String, String> stale = staleChains(table, network, validIds);
        if (stale.isEmpty()) {
            return GcResult.empty();
        }
        List<GcResult.Removal> removed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        try {
            CommandRunner.Result batch = tool.restore(RestoreScript.of(NAT, removalLines(table, List.copyOf(stale.keySet()))), true);
            if (batch.ok()) {
                stale.forEach((chain, id) -> removed.add(removal(family, chain, id)));
            } else {
                // One bad chain fails the whole transaction; retry one by one to remove all the others.
                stale.forEach((chain, id) -> {
                    CommandRunner.Result r = tool.restore(RestoreScript.of(NAT, removalLines(table, List.of(chain))), true);
                    if (r.ok()) {
                        removed.add(removal(family, chain, id));
                    } else {
                        errors.add("failed to remove " + family.iptables() + " nat chain " + chain + " of container "
                                + GoQuote.quote(id) + ": " + r.describe());
                    }
                });
            }
        } catch (CommandRunner.AbortedException e) {
            errors.add("failed to remove " + family.iptables() + " nat chains of network " + GoQuote.quote(network)
                    + ": " + e.getMessage());
        }
        return new GcResult(removed, errors);
    }

    /** Chain name → container ID, for the chains of {@code network} whose container is not valid. */
    static Map<String, String> staleChains(SavedTable table, String network, Set<String> validIds) {
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

    private static String ownerOf(SavedTable table, String chain, String network) {
        List<IptablesRule> candidates = new ArrayList<>(table.rules(chain));
        candidates.addAll(table.referencing(chain));
        for (IptablesRule r : candidates) {
            AttachmentTags.Owner o = AttachmentTags.parseIptablesComment(r.comment());
            if (o != null && o.network().equals(network)
                    && AttachmentTags.iptablesChain(network, o.containerId()).equals(chain)) {
                return o.containerId();
            }
        }
        return null;
    }

    private static GcResult.Removal removal(IpFamily family, String chain, String containerId) {
        return new GcResult.Removal(family.iptables(), containerId, "nat chain " + chain + " and its POSTROUTING jumps");
    }

    /**
     * Save, plan against what is there, restore the difference (replanned after a failed restore);
     * -w waits for the xtables lock like the reference's --wait, so concurrent plugins queue. A tool
     * that hangs is killed by the runner, and that is this call's error, not a reason to try again.
     */
    private void apply(IpFamily family, Function<SavedTable, List<String>> plan, String what) {
        try {
            new Iptables(runner, family).transact(List.of(NAT),
                    saved -> RestoreScript.of(NAT, plan.apply(saved.get(NAT))), true);
        } catch (FirewallException | CommandRunner.AbortedException e) {
            throw new CniError(CniError.INTERNAL, what, e.getMessage());
        }
    }

    private static Map<IpFamily, List<Cidr>> byFamily(List<Cidr> addresses) {
        Map<IpFamily, List<Cidr>> m = new EnumMap<>(IpFamily.class);
        for (Cidr c : addresses) {
            m.computeIfAbsent(IpFamily.of(c), k -> new ArrayList<>()).add(c);
        }
        return m;
    }

    static String describe(String network, String containerId) {
        return "network " + GoQuote.quote(network) + " container " + GoQuote.quote(containerId);
    }
}
