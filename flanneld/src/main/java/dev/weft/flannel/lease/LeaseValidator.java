package dev.weft.flannel.lease;

import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.config.SubnetRange;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a lease read from the store may be used. Anyone with write access to etcd can
 * put anything under the subnets prefix, and every lease becomes routes and neighbour entries on
 * every node, so a lease that is malformed or implausible is dropped here: never returned, logged
 * once per key and revision, and counted by reason for metrics.
 */
public final class LeaseValidator {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseValidator.class);
    private static final int REMEMBERED = 4096;
    /**
     * Longest lease value looked at. flanneld writes about 150 characters; etcd would take 1.5 MiB,
     * which nobody should make every node parse on every event.
     */
    public static final int MAX_VALUE_LENGTH = 4096;
    /** BackendType is compared, logged and remembered per lease; flannel's types are a few letters. */
    public static final int MAX_BACKEND_TYPE_LENGTH = 32;

    /** Why a lease was rejected. */
    public enum Reason {
        /** The key is not a canonical subnet key ({@code 10.244.1.0-24}). */
        MALFORMED_KEY,
        /** The value is not lease JSON (bad syntax, wrong types). */
        MALFORMED_VALUE,
        /** The subnet is not inside the configured Network. */
        SUBNET_OUTSIDE_NETWORK,
        /** The subnet's prefix length is not the configured SubnetLen. */
        WRONG_SUBNET_LENGTH,
        /** PublicIP (or PublicIPv6) is not a unicast address a peer could tunnel to. */
        BAD_PUBLIC_IP,
        /** The backend's own check refused BackendData (e.g. vxlan VtepMAC). */
        BAD_BACKEND_DATA,
        /** Another lease, created earlier, has the same PublicIP (or PublicIPv6). */
        DUPLICATE_PUBLIC_IP,
        /** Another lease, created earlier, has the same VtepMAC. */
        DUPLICATE_VTEP_MAC
    }

    private final Map<String, BackendDataCheck> backendChecks = new ConcurrentHashMap<>();
    private final Map<Reason, LongAdder> counts = new EnumMap<>(Reason.class);
    private final Map<String, Boolean> seen = new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    /** A validator that checks vxlan BackendData; other backends may {@link #register} their own check. */
    public LeaseValidator() {
        for (Reason r : Reason.values()) {
            counts.put(r, new LongAdder());
        }
        register(BackendTypes.VXLAN, new VxlanBackendDataCheck());
    }

    /** Installs (or replaces) the BackendData check for leases of {@code backendType}. */
    public void register(String backendType, BackendDataCheck check) {
        backendChecks.put(backendType.toLowerCase(Locale.ROOT), check);
    }

    /**
     * Validates one stored lease.
     *
     * @param key         the key suffix under {@code <prefix>/subnets/}
     * @param value       the stored value
     * @param expiration  lease expiration (epoch ms, 0 = no TTL)
     * @param modRevision the value's store revision
     * @return the lease, or empty if rejected (then logged and counted)
     */
    public Optional<Lease> validate(NetworkConfig config, String key, String value, long expiration, long modRevision) {
        Outcome o = judge(config, key, value, expiration, modRevision);
        if (o.reason != null) {
            reject(key, modRevision, o.reason, o.detail);
            return Optional.empty();
        }
        return Optional.of(o.lease);
    }

    /** Parses just the key as this validator would accept it; empty if it is not a canonical subnet key. */
    public static Optional<SubnetKey> canonicalKey(String key) {
        if (key.length() > SubnetKey.MAX_LENGTH) {
            return Optional.empty();
        }
        return SubnetKey.parse(key).filter(k -> k.isNetworkAligned() && k.toString().equals(key));
    }

    /**
     * The subnet(s) a key occupies for allocation, whatever its value: only a canonical key of the
     * configured SubnetLen inside Network. Anything else (a {@code 0.0.0.0-0} would cover the whole
     * Network) blocks nothing. Neither logged nor counted.
     */
    public static Optional<SubnetKey> occupiedBy(NetworkConfig config, String key) {
        Outcome o = judgeKey(config, key);
        return o.reason == null ? Optional.of(o.lease.subnetKey()) : Optional.empty();
    }

    private record Outcome(Lease lease, Reason reason, String detail) {
        static Outcome no(Reason r, String detail) {
            return new Outcome(null, r, detail);
        }
    }

    private static final LeaseAttrs NO_ATTRS = LeaseAttrs.of(IpAddress.V4_UNSPECIFIED, "", null);

    /** The key checks; on success the outcome's lease carries the key with placeholder attrs. */
    private static Outcome judgeKey(NetworkConfig config, String key) {
        if (key.length() > SubnetKey.MAX_LENGTH) {
            return Outcome.no(Reason.MALFORMED_KEY, "key longer than " + SubnetKey.MAX_LENGTH + " characters");
        }
        Optional<SubnetKey> parsed = SubnetKey.parse(key);
        if (parsed.isEmpty()) {
            return Outcome.no(Reason.MALFORMED_KEY, "not a subnet key");
        }
        SubnetKey sk = parsed.get();
        // flanneld only ever writes the canonical form; an alias would let one subnet appear twice.
        if (!sk.isNetworkAligned()) {
            return Outcome.no(Reason.MALFORMED_KEY, "subnet address has host bits set");
        }
        if (!sk.toString().equals(key)) {
            return Outcome.no(Reason.MALFORMED_KEY, "not in canonical form (expected \"" + sk + "\")");
        }
        Outcome subnet = checkSubnet(config.ipv4(), sk.subnet());
        if (subnet == null && sk.subnetV6() != null && config.ipv6() != null) {
            subnet = checkSubnet(config.ipv6(), sk.subnetV6());
        }
        if (subnet != null) {
            return subnet;
        }
        return new Outcome(new Lease(sk.subnet(), sk.subnetV6(), NO_ATTRS, 0, 0), null, null);
    }

    private Outcome judge(NetworkConfig config, String key, String value, long expiration, long modRevision) {
        Outcome k = judgeKey(config, key);
        if (k.reason != null) {
            return k;
        }
        ValueVerdict v = judgeValue(value);
        if (v.reason() != null) {
            return Outcome.no(v.reason(), v.detail());
        }
        LeaseAttrs attrs = v.attrs();
        return new Outcome(k.lease.withAttrs(attrs).withWrite(expiration, modRevision), null, null);
    }

    /**
     * What a lease value is worth, whatever key it is under: the attrs, or why they may not be used.
     *
     * @param attrs  the attrs when usable, else null
     * @param reason null when usable; else {@link Reason#MALFORMED_VALUE}, {@link Reason#BAD_PUBLIC_IP}
     *               or {@link Reason#BAD_BACKEND_DATA}
     */
    public record ValueVerdict(LeaseAttrs attrs, Reason reason, String detail) {
        static ValueVerdict no(Reason r, String detail) {
            return new ValueVerdict(null, r, detail);
        }
    }

    /**
     * The checks of a lease value, the one judge of lease values and node registrations (which
     * carry the same attrs): bounded length, lease JSON, unicast PublicIP and PublicIPv6, a bounded
     * BackendType, and the backend's own BackendData check. Neither logged nor counted.
     */
    public ValueVerdict judgeValue(String value) {
        if (value.length() > MAX_VALUE_LENGTH) {
            return ValueVerdict.no(Reason.MALFORMED_VALUE, "value longer than " + MAX_VALUE_LENGTH + " characters");
        }
        LeaseAttrs attrs;
        try {
            attrs = LeaseAttrs.fromJson(value);
        } catch (LeaseFormatException e) {
            return ValueVerdict.no(Reason.MALFORMED_VALUE, e.getMessage());
        }
        if (!usableUnicast(attrs.publicIp())) {
            return ValueVerdict.no(Reason.BAD_PUBLIC_IP, "PublicIP " + attrs.publicIp() + " is not a unicast address");
        }
        if (attrs.publicIpV6() != null && !usableUnicast(attrs.publicIpV6())) {
            return ValueVerdict.no(Reason.BAD_PUBLIC_IP, "PublicIPv6 " + attrs.publicIpV6() + " is not a unicast address");
        }
        if (attrs.backendType().length() > MAX_BACKEND_TYPE_LENGTH) {
            return ValueVerdict.no(Reason.MALFORMED_VALUE, "BackendType longer than " + MAX_BACKEND_TYPE_LENGTH + " characters");
        }
        BackendDataCheck check = backendChecks.get(attrs.backendType().toLowerCase(Locale.ROOT));
        if (check != null) {
            Optional<String> problem = check.problem(attrs.backendData(), attrs.backendV6Data());
            if (problem.isPresent()) {
                return ValueVerdict.no(Reason.BAD_BACKEND_DATA, problem.get());
            }
        }
        return new ValueVerdict(attrs, null, null);
    }

    private static Outcome checkSubnet(SubnetRange range, Cidr subnet) {
        if (range == null) {
            return null; // family not configured: nothing to compare with
        }
        if (subnet.prefixLength() != range.subnetLen()) {
            return Outcome.no(Reason.WRONG_SUBNET_LENGTH, "subnet " + subnet + " is not a /" + range.subnetLen());
        }
        if (!range.network().contains(subnet)) {
            return Outcome.no(Reason.SUBNET_OUTSIDE_NETWORK, "subnet " + subnet + " is outside " + range.network());
        }
        return null;
    }

    /**
     * Unicast a peer can send to: not unspecified, loopback, multicast, link-local or broadcast
     * (Go's IsGlobalUnicast), and for IPv4 also not 0.0.0.0/8 or the reserved 240.0.0.0/4.
     */
    public static boolean usableUnicast(IpAddress a) {
        if (!a.isGlobalUnicast()) {
            return false;
        }
        if (a.isV4()) {
            int top = a.toV4Int() >>> 24;
            return top != 0 && top < 240;
        }
        return !a.isV4Mapped();
    }

    /**
     * Records a lease refused for a reason found outside this validator (a conflict with another
     * lease): logged once per key and revision, and counted, as the validator's own rejections.
     */
    public void refuse(String key, long revision, Reason reason, String detail) {
        reject(key, revision, reason, detail);
    }

    private void reject(String key, long revision, Reason reason, String detail) {
        String shown = printable(key);
        boolean first;
        synchronized (seen) {
            first = seen.put(shown + "@" + revision, Boolean.TRUE) == null;
        }
        if (first) {
            counts.get(reason).increment();
            LOG.warn("Ignoring invalid subnet lease \"{}\" (revision {}): {}: {}", shown, revision, reason, detail);
        }
    }

    /**
     * A key as it may be logged and remembered: at most {@link SubnetKey#MAX_LENGTH} characters
     * (a longer one is cut and named by its length and hash), control characters replaced.
     */
    public static String printable(String key) {
        String k = key.length() <= SubnetKey.MAX_LENGTH ? key
                : key.substring(0, 64) + "...(" + key.length() + " characters, hash " + Integer.toHexString(key.hashCode()) + ")";
        StringBuilder sb = new StringBuilder(k.length());
        for (int i = 0; i < k.length(); i++) {
            char c = k.charAt(i);
            sb.append(Character.isISOControl(c) || c == '\u2028' || c == '\u2029' ? '?' : c);
        }
        return sb.toString();
    }

    /** Distinct rejected lease versions (key + revision) so far, by reason. */
    public Map<Reason, Long> rejections() {
        Map<Reason, Long> m = new EnumMap<>(Reason.class);
        counts.forEach((r, c) -> m.put(r, c.sum()));
        return m;
    }

    public long rejections(Reason reason) {
        return counts.get(reason).sum();
    }

    public long totalRejections() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }
}
