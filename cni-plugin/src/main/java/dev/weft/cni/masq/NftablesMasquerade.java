package dev.weft.cni.masq;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.spec.CniError;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.cni.spec.Json;
import dev.weft.exec.CommandRunner;
import dev.weft.firewall.Nft;
import dev.weft.net.Cidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The reference's nftables masquerade (plugins v1.5+, {@code ipMasqBackend: "nftables"}): one shared
 * table {@code inet cni_plugins_masquerade} whose {@code postrouting} nat chain skips multicast and
 * jumps to {@code masq_checks}; there each attachment has one rule per address,
 * {@code ip saddr == <ip> ip daddr != <subnet> masquerade}, commented with a hash of (network,
 * ifname, containerID) first. The hash is how teardown removes exactly this attachment's rules
 * even when another container got the same IP since, and how GC finds a network's rules.
 *
 * <p>One operation is one {@code nft -j list chain} (rule handles are needed to delete) and, if
 * there is anything to change, one {@code nft -f -} transaction.
 */
public final class NftablesMasquerade implements Masquerade {
    static final String TABLE = "cni_plugins_masquerade";
    static final String CHAIN = "masq_checks";
    static final String POSTROUTING = "postrouting";
    static final String TABLE_COMMENT = "Masquerading for plugins from github.com/containernetworking/plugins";
    static final String CHAIN_COMMENT =
            "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet";
    private static final String T = "inet " + TABLE;
    /** A transaction that names a handle fails whole if a concurrent writer deleted it: relist. */
    private static final int ATTEMPTS = 3;

    private final Nft nft;

    public NftablesMasquerade(CommandRunner runner) {
        this.nft = new Nft(runner);
    }

    public NftablesMasquerade() {
        this(CommandRunner.local());
    }

    /** A rule of {@code masq_checks} as nft lists it. */
    record NftRule(long handle, String comment) {
    }

    @Override
    public void setup(String network, String containerId, String ifname, List<Cidr> addresses) {
        String instance = AttachmentTags.nftInstanceHash(network, ifname, containerId);
        String comment = AttachmentTags.nftComment(network, ifname, containerId);
        String what = "failed to set up IP masquerade for " + IptablesMasquerade.describe(network, containerId);
        try {
            apply(rules -> setupScript(rules, instance, comment, addresses), what);
        } catch (CommandRunner.ToolMissingException e) {
            throw new CniError(CniError.INTERNAL, what + ": " + e.getMessage());
        } catch (CommandRunner.AbortedException e) {
            throw new CniError(CniError.INTERNAL, what, e.getMessage());
        }
    }

    /**
     * The reference's transaction: make sure table and chains exist, rewrite postrouting (so a
     * damaged one heals), replace this attachment's previous rules with the new ones.
     */
    static String setupScript(List<NftRule> existing, String instanceHash, String comment, List<Cidr> addresses) {
        StringBuilder sb = new StringBuilder();
        sb.append("add table ").append(T).append(" { comment ").append(GoQuote.quote(TABLE_COMMENT)).append(" ; }\n");
        sb.append("add chain ").append(T).append(' ').append(CHAIN)
                .append(" { comment ").append(GoQuote.quote(CHAIN_COMMENT)).append(" ; }\n");
        // srcnat is 100; knftables writes the number too (old nft rejects some names in some hooks).
        sb.append("add chain ").append(T).append(' ').append(POSTROUTING)
                .append(" { type nat hook postrouting priority 100 ; }\n");
        sb.append("flush chain ").append(T).append(' ').append(POSTROUTING).append('\n');
        sb.append("add rule ").append(T).append(' ').append(POSTROUTING).append(" ip daddr == 224.0.0.0/4  return\n");
        sb.append("add rule ").append(T).append(' ').append(POSTROUTING).append(" ip6 daddr == ff00::/8  return\n");
        sb.append("add rule ").append(T).append(' ').append(POSTROUTING).append(" goto ").append(CHAIN).append('\n');
        for (NftRule r : existing) {
            if (r.comment() != null && r.comment().startsWith(instanceHash)) {
                sb.append(deleteLine(r));
            }
        }
        for (Cidr a : addresses) {
            String ip = a.isV4() ? "ip" : "ip6";
            sb.append("add rule ").append(T).append(' ').append(CHAIN).append(' ')
                    .append(ip).append(" saddr == ").append(a.address()).append(' ')
                    .append(ip).append(" daddr != ").append(a.network()).append(" masquerade comment ")
                    .append(GoQuote.quote(comment)).append('\n');
        }
        return sb.toString();
    }

    /** Deletes this attachment's rules, found by their hash; addresses are not needed. */
    @Override
    public void teardown(String network, String containerId, String ifname, List<Cidr> addresses) {
        String instance = AttachmentTags.nftInstanceHash(network, ifname, containerId);
        String what = "failed to tear down IP masquerade for " + IptablesMasquerade.describe(network, containerId);
        try {
            apply(rules -> deleteScript(rules.stream()
                            .filter(r -> r.comment() != null && r.comment().startsWith(instance)).toList()), what);
        } catch (CommandRunner.ToolMissingException e) {
            // Without nft nothing can have been set up through it: already torn down.
        } catch (CommandRunner.AbortedException e) {
            throw new CniError(CniError.INTERNAL, what, e.getMessage());
        }
    }

    /**
     * As the reference: the network's rules are those whose comment starts with the network hash;
     * a rule is valid when its whole comment is the one a valid attachment would get.
     */
    @Override
    public GcResult gc(String network, Collection<Attachment> valid) {
        List<NftRule> rules;
        try {
            rules = list();
        } catch (CommandRunner.ToolMissingException e) {
            return GcResult.empty();
        } catch (CniError e) {
            return new GcResult(List.of(), List.of(e.getMessage() + ": " + e.details()));
        } catch (CommandRunner.AbortedException e) {
            return new GcResult(List.of(), List.of("failed to list nftables chain " + TABLE + " " + CHAIN + ": "
                    + e.getMessage()));
        }
        String networkHash = AttachmentTags.nftNetworkHash(network);
        Set<String> validComments = new HashSet<>();
        for (Attachment a : valid) {
            validComments.add(AttachmentTags.nftComment(network, a.ifname(), a.containerId()));
        }
        List<NftRule> stale = rules.stream()
                .filter(r -> r.comment() != null && r.comment().startsWith(networkHash)
                        && !validComments.contains(r.comment()))
                .toList();
        if (stale.isEmpty()) {
            return GcResult.empty();
        }
        List<GcResult.Removal> removed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        try {
            if (nft.apply(deleteScript(stale)).ok()) {
                stale.forEach(r -> removed.add(removal(r)));
            } else {
                for (NftRule r : stale) {
                    CommandRunner.Result res = nft.apply(deleteScript(List.of(r)));
                    if (res.ok()) {
                        removed.add(removal(r));
                    } else {
                        errors.add("failed to remove nftables masquerade rule " + GoQuote.quote(r.comment()) + ": "
                                + res.describe());
                    }
                }
            }
        } catch (CommandRunner.AbortedException e) {
            errors.add("failed to remove nftables masquerade rules: " + e.getMessage());
        }
        return new GcResult(removed, errors);
    }

    private static GcResult.Removal removal(NftRule r) {
        // The ID is read from the human part of the comment, which truncation may have cut.
        int at = r.comment().lastIndexOf(", id: ");
        String id = at < 0 ? "" : r.comment().substring(at + 6);
        return new GcResult.Removal("nftables", id, "rule " + TABLE + " " + CHAIN + " handle " + r.handle());
    }

    static String deleteScript(List<NftRule> rules) {
        StringBuilder sb = new StringBuilder();
        for (NftRule r : rules) {
            sb.append(deleteLine(r));
        }
        return sb.toString();
    }

    private static String deleteLine(NftRule r) {
        return "delete rule " + T + " " + CHAIN + " handle " + r.handle() + "\n";
    }

    // ---------------------------------------------------------------- tools

    private void apply(Function<List<NftRule>, String> plan, String what) {
        CommandRunner.Result last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            String script = plan.apply(list());
            if (script.isEmpty()) {
                return;
            }
            last = nft.apply(script);
            if (last.ok()) {
                return;
            }
            try {
                Thread.sleep(20L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        throw new CniError(CniError.INTERNAL, what, last.describe());
    }

    /** The rules of {@code masq_checks}; none when the table or chain does not exist (yet). */
    List<NftRule> list() {
        CommandRunner.Result r = nft.command("-j", "list", "chain", "inet", TABLE, CHAIN);
        if (!r.ok()) {
            if (Nft.missing(r)) {
                return List.of();
            }
            throw new CniError(CniError.INTERNAL, "failed to list nftables chain " + TABLE + " " + CHAIN,
                    r.describe());
        }
        return parseRules(r.stdout());
    }

    static List<NftRule> parseRules(String json) {
        JsonNode root;
        try {
            root = Json.read(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CniError(CniError.INTERNAL, "cannot parse nft -j output", e.getMessage());
        }
        List<NftRule> rules = new ArrayList<>();
        for (JsonNode item : root.path("nftables")) {
            JsonNode rule = item.get("rule");
            if (rule != null && CHAIN.equals(rule.path("chain").asText())) {
                JsonNode c = rule.get("comment");
                rules.add(new NftRule(rule.path("handle").asLong(), c == null ? null : c.asText()));
            }
        }
        return rules;
    }
}
