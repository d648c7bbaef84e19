package dev.weft.flannel.rules;

import dev.weft.netlink.NftGeneration;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cheap answer to "has anything in the firewall changed since the rules were last read?", so
 * that {@link RulesKeeper} reads them back (two {@code iptables-save} runs per family, most of
 * weftd's idle CPU) only when something did. For rules in nf_tables (nft, iptables-nft) it is the
 * kernel's ruleset generation, which every committed change of any table bumps; for
 * iptables-legacy there is no such counter and every period reads the rules, as flannel does.
 */
public final class RulesetVersion implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RulesetVersion.class);
    private static final RulesetVersion NONE = new RulesetVersion(null);

    private final NftGeneration generation;
    private volatile boolean failed;

    private RulesetVersion(NftGeneration generation) {
        this.generation = generation;
    }

    /** Never tells: every check reads the rules. */
    public static RulesetVersion none() {
        return NONE;
    }

    /** The generation of the nf_tables ruleset that {@code generation}'s namespace holds. */
    public static RulesetVersion nfTables(NftGeneration generation) {
        return new RulesetVersion(generation);
    }

    /**
     * For {@code rules} run in this process's own network namespace (weftd's case): nf_tables'
     * generation when the rules live there, else {@link #none()}.
     */
    public static RulesetVersion forLocal(TrafficRules rules) {
        if (!rules.inNfTables()) {
            LOG.info("the firewall rules are not in nf_tables (iptables-legacy): each check reads them back");
            return NONE;
        }
        try {
            return nfTables(NftGeneration.open());
        } catch (RuntimeException e) {
            LOG.info("cannot read nf_tables' generation ({}): each check reads the rules back", e.getMessage());
            return NONE;
        }
    }

    /** The current version, or empty when this source cannot tell (then the caller reads the rules). */
    public OptionalLong now() {
        if (generation == null || failed) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(generation.current());
        } catch (RuntimeException e) { // NetlinkException, or the socket's own ErrnoException
            // a kernel that answered once and then refuses is not worth asking every period
            failed = true;
            LOG.warn("reading nf_tables' generation failed ({}); each check reads the rules back from now on", e.getMessage());
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        if (generation != null) {
            generation.close();
        }
    }
}
