package dev.weft.bgp.fsm;

import dev.weft.net.IpAddress;

import java.time.Duration;
import java.util.Objects;

/**
 * What all sessions of one speaker share.
 *
 * @param routerId   the BGP identifier; never 0 nor in 224/4 or 240/4, which peers reject with
 *                   "Bad BGP Identifier" (calico#5146), so such a config fails here and not on the wire
 * @param localAs    the AS in our OPENs unless a peer overrides it
 * @param listen     the address the server socket binds ({@code ::} accepts IPv4 too)
 * @param port       179 in production; tests pick their own
 * @param backoffMin the first wait after a failed session (like BIRD's error wait time)
 * @param backoffMax the wait stops doubling here; a session Established this long resets it
 */
public record SpeakerConfig(IpAddress routerId, long localAs, IpAddress listen, int port, Duration backoffMin,
                            Duration backoffMax) {
    public static final int BGP_PORT = 179;

    public SpeakerConfig {
        Objects.requireNonNull(routerId, "routerId");
        Objects.requireNonNull(listen, "listen");
        if (!routerId.isV4()) {
            throw new IllegalArgumentException("router id must be an IPv4-style 32-bit value: " + routerId);
        }
        int first = routerId.toV4Int() >>> 24;
        if (routerId.toV4Int() == 0 || first >= 224) {
            throw new IllegalArgumentException("router id " + routerId + " is 0 or in 224/4 or 240/4; peers reject it (2/3)");
        }
        checkAs(localAs);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (backoffMin.isNegative() || backoffMin.isZero() || backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoff " + backoffMin + ".." + backoffMax);
        }
    }

    /** Defaults for a CNI: port 179 on every address, back-off 1 s..30 s. */
    public static SpeakerConfig of(IpAddress routerId, long localAs) {
        return new SpeakerConfig(routerId, localAs, IpAddress.V6_UNSPECIFIED, BGP_PORT, Duration.ofSeconds(1),
                Duration.ofSeconds(30));
    }

    public SpeakerConfig withListen(IpAddress address, int port) {
        return new SpeakerConfig(routerId, localAs, address, port, backoffMin, backoffMax);
    }

    public SpeakerConfig withBackoff(Duration min, Duration max) {
        return new SpeakerConfig(routerId, localAs, listen, port, min, max);
    }

    static void checkAs(long as) {
        if (as <= 0 || as > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("AS " + as + " is not a 4-octet AS number");
        }
    }
}
