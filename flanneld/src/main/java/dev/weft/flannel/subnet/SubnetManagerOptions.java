package dev.weft.flannel.subnet;

import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of the subnet manager, with flanneld's defaults.
 *
 * @param prefix             etcd key prefix (-etcd-prefix), default {@code /coreos.com/network}
 * @param leaseTtl           TTL of our lease (-subnet-lease-ttl), default 24 h as flannel's subnetTTL
 * @param renewMargin        renew this long before expiry (-subnet-lease-renew-margin), default 60 min
 * @param renewRetryInterval wait after a failed renewal or re-acquisition, default 1 min as flannel
 * @param raceRetries        attempts when another node takes the subnet we picked (flannel: 10)
 * @param raceBackoff        base of the jittered pause between those attempts
 */
public record SubnetManagerOptions(String prefix, Duration leaseTtl, Duration renewMargin,
                                   Duration renewRetryInterval, int raceRetries, Duration raceBackoff) {
    public static final String DEFAULT_PREFIX = "/coreos.com/network";
    public static final Duration DEFAULT_TTL = Duration.ofHours(24);
    public static final Duration DEFAULT_RENEW_MARGIN = Duration.ofMinutes(60);
    public static final Duration DEFAULT_RETRY = Duration.ofMinutes(1);

    public SubnetManagerOptions {
        Objects.requireNonNull(prefix, "prefix");
        // path.Join in flannel cleans the prefix; "/coreos.com/network/" must mean the same keys
        while (prefix.length() > 1 && prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.startsWith("/")) {
            prefix = "/" + prefix;
        }
        requirePositive(leaseTtl, "leaseTtl");
        requirePositive(renewMargin, "renewMargin");
        requirePositive(renewRetryInterval, "renewRetryInterval");
        Objects.requireNonNull(raceBackoff, "raceBackoff");
        if (renewMargin.compareTo(leaseTtl) >= 0) {
            throw new IllegalArgumentException("renew margin " + renewMargin + " must be shorter than the lease TTL " + leaseTtl);
        }
        if (raceRetries < 1) {
            throw new IllegalArgumentException("raceRetries must be at least 1");
        }
    }

    public static SubnetManagerOptions defaults() {
        return new SubnetManagerOptions(DEFAULT_PREFIX, DEFAULT_TTL, DEFAULT_RENEW_MARGIN, DEFAULT_RETRY, 10,
                Duration.ofMillis(50));
    }

    /** The flag's unit and range: whole minutes, 1..1439 (flanneld exits on anything else). */
    public static Duration renewMarginMinutes(int minutes) {
        if (minutes <= 0 || minutes >= 1440) {
            throw new IllegalArgumentException("Invalid subnet-lease-renew-margin option, out of acceptable range: "
                    + minutes + " (must be 1..1439 minutes)");
        }
        return Duration.ofMinutes(minutes);
    }

    public SubnetManagerOptions withPrefix(String p) {
        return new SubnetManagerOptions(p, leaseTtl, renewMargin, renewRetryInterval, raceRetries, raceBackoff);
    }

    public SubnetManagerOptions withLeaseTtl(Duration ttl, Duration margin) {
        return new SubnetManagerOptions(prefix, ttl, margin, renewRetryInterval, raceRetries, raceBackoff);
    }

    public SubnetManagerOptions withRenewRetryInterval(Duration d) {
        return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, d, raceRetries, raceBackoff);
    }

    public SubnetManagerOptions withRaceRetries(int retries, Duration backoff) {
        return new SubnetManagerOptions(prefix, leaseTtl, renewMargin, renewRetryInterval, retries, backoff);
    }

    /** {@code <prefix>/config} */
    public String configKey() {
        return prefix + "/config";
    }

    /**
     * {@code <prefix>/subnets/}. flannel lists {@code <prefix>/subnets} without the slash, which
     * would also match a sibling such as {@code subnets-old/}; the slash keeps us to our keys.
     */
    public String subnetsPrefix() {
        return prefix + "/subnets/";
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
