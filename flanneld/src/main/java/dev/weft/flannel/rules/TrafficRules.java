package dev.weft.flannel.rules;

import dev.weft.exec.CommandRunner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's masquerade and forward rules in one firewall back end: {@link IptablesRules} or
 * {@link NftablesRules}. Implementations are thread-safe (calls are serialised), so a
 * {@link RulesKeeper} may check while the daemon installs.
 */
public interface TrafficRules {

    /**
     * Makes the firewall hold exactly {@code rules}: Weft's chains are created or flushed and
     * refilled in flannel's order, in one transaction per family. Parts the set switches off (ipMasq,
     * forwardRules, or a whole family) are removed rather than left behind.
     *
     * @throws RulesException when the tool refuses the transaction
     */
    void install(RuleSet rules);

    /** True when every rule of {@code rules} is present (in flannel's order where that can be seen). */
    boolean isComplete(RuleSet rules);

    /**
     * Deletes the masquerade rules of {@code previous} that are still present (whatever its ipMasq flag
     * says), leaving every other rule alone. Used when the Network or lease subnet changed since the
     * last subnet.env; see {@link RuleSet#staleMasq}.
     */
    void removeStale(RuleSet previous);

    /** Removes every object of this back end (jumps, chains, tables). Absent objects are fine. */
    void cleanUp();

    /**
     * True when the rules live in nf_tables (nft, or iptables-nft for every family in use), so that
     * nf_tables' generation tells whether anything changed ({@link RulesetVersion}).
     */
    boolean inNfTables();

    /** Which back end; net-conf's {@code EnableNFTables} chooses. */
    enum Mode {
        IPTABLES, NFTABLES;

        public static Mode of(boolean enableNFTables) {
            return enableNFTables ? NFTABLES : IPTABLES;
        }

        public Mode other() {
            return this == IPTABLES ? NFTABLES : IPTABLES;
        }

        public TrafficRules create(CommandRunner runner) {
            return this == IPTABLES ? new IptablesRules(runner) : new NftablesRules(runner);
        }
    }

    /**
     * The daemon's start-up step (flannel main.go): clean up the rules of the mode not chosen, then
     * return the chosen one. A failed clean-up is logged, not fatal, as in flannel (the other tool is
     * often not even installed).
     */
    static TrafficRules select(boolean enableNFTables, CommandRunner runner) {
        Mode mode = Mode.of(enableNFTables);
        Logger log = LoggerFactory.getLogger(TrafficRules.class);
        try {
            mode.other().create(runner).cleanUp();
        } catch (RuntimeException e) {
            log.info("could not clean up {} rules: {}", mode.other().name().toLowerCase(java.util.Locale.ROOT),
                    e.getMessage());
        }
        log.info("using {} for the masquerade and forward rules", mode.name().toLowerCase(java.util.Locale.ROOT));
        return mode.create(runner);
    }
}
