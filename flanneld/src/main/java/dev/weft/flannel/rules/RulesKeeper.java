package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.exec.CommandRunner;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link RuleSet} installed, as flannel's resync loop does: installs it at start, then every
 * {@code -iptables-resync} period checks {@link TrafficRules#isComplete} and reinstalls the whole
 * set if anything is missing (the order of the rules matters, so a single missing rule is not
 * just appended). Failures are logged and retried at the next period; they never stop the loop.
 *
 * <p>Reading the rules back means running {@code iptables-save} per table and family, which was
 * most of an idle weftd's CPU. With a {@link RulesetVersion} that can tell (nf_tables' generation),
 * a period in which the version has not moved since a check found everything in place counts as
 * in place without reading anything; every {@value #FULL_CHECK_EVERY}th period reads anyway, as
 * cheap insurance against a change the version might not show.
 *
 * <p>{@link #close()} stops checking but leaves the rules in place: flannel does not remove them on
 * shutdown, so traffic keeps flowing while the daemon restarts.
 *
 * <pre>{@code
 * TrafficRules rules = TrafficRules.select(netConf.enableNFTables(), CommandRunner.local());
 * RulesKeeper keeper = RulesKeeper.start(rules, current, previousFromSubnetEnv, Duration.ofSeconds(5));
 * }</pre>
 */
public final class RulesKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RulesKeeper.class);
    /** Periods between reads while the version stands still: a minute at flannel's 5 s. */
    static final int FULL_CHECK_EVERY = 12;
    private static final long UNVERIFIED = -1;

    private final TrafficRules rules;
    private final RuleSet set;
    private final RulesetVersion version;
    private final ScheduledExecutorService timer;
    private final AtomicLong installs = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    /** The version at which a read last found every rule in place; touched by the timer thread only. */
    private long verifiedAt = UNVERIFIED;
    private int periodsSinceRead;
    private final LongAdder[] resyncs = new LongAdder[Resync.values().length];
    private volatile boolean inPlace;

    /** What a periodic check found and did (weft_rule_resyncs_total{result}). */
    public enum Resync {
        /** Every rule was there. */
        IN_PLACE,
        /** Something was missing (or the check failed) and the whole set was installed again. */
        REPAIRED,
        /** Reinstalling failed; the next period tries again. */
        FAILED;

        /** The label value, e.g. "in_place". */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private RulesKeeper(TrafficRules rules, RuleSet set, RulesetVersion version) {
        this.rules = rules;
        this.set = set;
        this.version = version;
        for (int i = 0; i < resyncs.length; i++) {
            resyncs[i] = new LongAdder();
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weft-rules-keeper");
            t.setDaemon(true);
            return t;
        });
    }

    /** {@link #start(TrafficRules, RuleSet, RuleSet, Duration)} without a previous rule set. */
    public static RulesKeeper start(TrafficRules rules, RuleSet set, Duration resync) {
        return start(rules, set, null, resync);
    }

    /**
     * Removes the masquerade rules of {@code previous} that {@code set} replaces (Network or lease
     * subnet changed, see {@link RuleSet#staleMasq}), installs {@code set} on the calling thread, and
     * starts checking it every {@code resync}.
     *
     * @param previous the rule set of the last run (from subnet.env), or null
     */
    public static RulesKeeper start(TrafficRules rules, RuleSet set, RuleSet previous, Duration resync) {
        return start(rules, set, previous, resync, RulesetVersion.none());
    }

    /**
     * As {@link #start(TrafficRules, RuleSet, RuleSet, Duration)}, skipping the read-back of periods
     * in which {@code version} (of the namespace the rules are in) has not moved. The keeper closes it.
     */
    public static RulesKeeper start(TrafficRules rules, RuleSet set, RuleSet previous, Duration resync, RulesetVersion version) {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(set, "set");
        Objects.requireNonNull(version, "version");
        if (resync.isNegative() || resync.isZero()) {
            throw new IllegalArgumentException("resync period must be positive: " + resync);
        }
        RulesKeeper k = new RulesKeeper(rules, set, version);
        RuleSet.staleMasq(previous, set).ifPresent(stale -> {
            log.info("network or subnet changed since the last run ({}); removing its masquerade rules", describe(stale));
            try {
                rules.removeStale(stale);
            } catch (RuntimeException e) {
                log.error("failed to remove the old masquerade rules: {}", e.getMessage());
            }
        });
        k.install();
        long ms = resync.toMillis();
        k.timer.scheduleWithFixedDelay(k::resync, ms, ms, TimeUnit.MILLISECONDS);
        return k;
    }

    /** True when the last install or check found the rules in place (for readiness). */
    public boolean rulesInPlace() {
        return inPlace;
    }

    /** How many times the set was installed (the first time included), successfully or not. */
    public long installs() {
        return installs.get();
    }

    /** Periodic checks (the install at start not included) that ended with {@code result}. */
    public long resyncs(Resync result) {
        return resyncs[result.ordinal()].sum();
    }

    /** Periodic checks that read the rules back (the others trusted an unmoved version). */
    public long reads() {
        return reads.get();
    }

    public RuleSet ruleSet() {
        return set;
    }

    /** Stops checking. The rules stay. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("the rules keeper did not stop within 30s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        version.close();
    }

    private void resync() {
        OptionalLong before = version.now();
        if (before.isPresent() && before.getAsLong() == verifiedAt && ++periodsSinceRead < FULL_CHECK_EVERY) {
            resyncs[Resync.IN_PLACE.ordinal()].increment();
            return;
        }
        periodsSinceRead = 0;
        verifiedAt = UNVERIFIED;
        reads.incrementAndGet();
        try {
            if (rules.isComplete(set)) {
                inPlace = true;
                // read before the check: a change made while it ran moves the version past this
                verifiedAt = before.orElse(UNVERIFIED);
                resyncs[Resync.IN_PLACE.ordinal()].increment();
                return;
            }
            log.info("some masquerade or forward rules are missing; deleting and recreating them");
        } catch (RuntimeException e) {
            log.error("failed to check the rules: {}", e.getMessage());
        }
        resyncs[(install() ? Resync.REPAIRED : Resync.FAILED).ordinal()].increment();
    }

    /** Installs the whole set; false when that failed (logged). */
    private boolean install() {
        installs.incrementAndGet();
        try {
            rules.install(set);
            inPlace = true;
            return true;
        } catch (RuntimeException e) {
            inPlace = false;
            log.error("failed to install the masquerade and forward rules: {}", e.getMessage());
            return false;
        }
    }

    private static String describe(RuleSet s) {
        StringBuilder b = new StringBuilder();
        for (IpFamily f : s.families()) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(s.network(f)).append(" subnet ").append(s.subnet(f));
        }
        return b.toString();
    }
}
