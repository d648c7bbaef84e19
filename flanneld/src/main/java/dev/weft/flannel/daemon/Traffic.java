package dev.weft.flannel.daemon;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.exec.CommandRunner;
import dev.weft.flannel.rules.RuleSet;
import dev.weft.flannel.rules.RulesKeeper;
import dev.weft.flannel.rules.RulesetVersion;
import dev.weft.flannel.rules.TrafficRules;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's masquerade (-ip-masq) and forward (-iptables-forward-rules) rules: the other mode's
 * leftovers cleared, then ours installed and re-checked every -iptables-resync seconds.
 */
final class Traffic {
    private static final Logger LOG = LoggerFactory.getLogger(Traffic.class);

    private Traffic() {
    }

    /**
     * Clears the other mode's rules and starts keeping ours; null when neither -ip-masq nor
     * -iptables-forward-rules asks for any (nothing to keep).
     */
    static RulesKeeper start(WeftdOptions o, NetworkConfig cfg, Lease lease) {
        CommandRunner runner = CommandRunner.local();
        TrafficRules.Mode mode = TrafficRules.Mode.of(cfg.enableNFTables());
        try {
            mode.other().create(runner).cleanUp();
        } catch (RuntimeException e) {
            LOG.debug("nothing to clean for {}: {}", mode.other(), e.getMessage());
        }
        if (!o.ipMasq && !o.forwardRules) {
            return null;
        }
        RuleSet.Builder b = RuleSet.builder().ipMasq(o.ipMasq).randomFully(!o.fullyRandomDisable).forwardRules(o.forwardRules);
        if (cfg.enableIPv4()) {
            b.ipv4(cfg.network(), lease.subnet());
        }
        if (cfg.enableIPv6() && lease.subnetV6() != null) {
            b.ipv6(cfg.ipv6Network(), lease.subnetV6());
        }
        RuleSet set = b.build();
        LOG.info("{} rules: masquerade {}, forward {}", mode, o.ipMasq, o.forwardRules);
        TrafficRules rules = mode.create(runner);
        return RulesKeeper.start(rules, set, null, Duration.ofSeconds(o.iptablesResync), RulesetVersion.forLocal(rules));
    }
}
