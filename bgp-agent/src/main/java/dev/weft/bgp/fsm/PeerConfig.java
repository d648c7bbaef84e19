package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Family;
import dev.weft.net.IpAddress;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One configured peer. Build with {@link #of} and the {@code with…} methods.
 *
 * @param address              the peer's address: where we connect to, and whom we accept from
 * @param remoteAs             the AS its OPEN must carry (2/2 otherwise)
 * @param localAs              our AS towards this peer; 0 means the speaker's
 * @param localAddress         the source address of our connections; null lets the kernel choose
 * @param passive              never connect, only accept (Calico's rule for the lexically greater side)
 * @param password             the TCP-MD5 key (RFC 2385); empty for none
 * @param holdTime             seconds we offer: 0 (no keepalives) or at least 3
 * @param keepalive            seconds between KEEPALIVEs when smaller than a third of the negotiated hold time; 0 = hold/3
 * @param connectRetry         wait between attempts to connect while nothing is up
 * @param ttlSecurity          GTSM (RFC 5082): the peer is at most this many hops away; 0 = off
 * @param families             the address families we offer
 * @param addPath              per family, ADD-PATH directions we offer ({@link Capability.AddPath#RECEIVE},
 *                             {@link Capability.AddPath#SEND} or both)
 * @param gracefulRestartTime  the restart time we advertise in a GR capability (RFC 4724, helper mode);
 *                             -1 = no GR capability, so we never keep a peer's routes over a restart
 * @param routeReflectorClient carried for the RIB; sessions do not use it
 */
public record PeerConfig(IpAddress address, long remoteAs, long localAs, IpAddress localAddress, boolean passive,
                         String password, int holdTime, int keepalive, Duration connectRetry, int ttlSecurity,
                         Set<Family> families, Map<Family, Integer> addPath, int gracefulRestartTime,
                         boolean routeReflectorClient) {
    public static final int DEFAULT_HOLD_TIME = 90;
    public static final Duration DEFAULT_CONNECT_RETRY = Duration.ofSeconds(5);
    /** RFC 2385 keys are at most 80 octets (TCP_MD5SIG_MAXKEYLEN). */
    public static final int MAX_PASSWORD = 80;

    public PeerConfig {
        Objects.requireNonNull(address, "address");
        address = address.unmap();
        SpeakerConfig.checkAs(remoteAs);
        if (localAs != 0) {
            SpeakerConfig.checkAs(localAs);
        }
        Objects.requireNonNull(password, "password (empty for none)");
        if (password.length() > MAX_PASSWORD) {
            throw new IllegalArgumentException("TCP-MD5 password longer than " + MAX_PASSWORD);
        }
        if (holdTime != 0 && (holdTime < 3 || holdTime > 65535)) {
            throw new IllegalArgumentException("hold time must be 0 or 3..65535: " + holdTime);
        }
        if (keepalive < 0 || keepalive > 65535) {
            throw new IllegalArgumentException("keepalive " + keepalive);
        }
        if (connectRetry.isNegative() || connectRetry.isZero()) {
            throw new IllegalArgumentException("connect retry " + connectRetry);
        }
        if (ttlSecurity < 0 || ttlSecurity > 254) {
            throw new IllegalArgumentException("ttl security hops must be 0..254: " + ttlSecurity);
        }
        if (families.isEmpty()) {
            throw new IllegalArgumentException("a peer needs at least one family");
        }
        families = Set.copyOf(EnumSet.copyOf(families));
        addPath = addPath.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(addPath));
        for (int bits : addPath.values()) {
            if (bits < Capability.AddPath.RECEIVE || bits > Capability.AddPath.BOTH) {
                throw new IllegalArgumentException("ADD-PATH direction " + bits);
            }
        }
        if (gracefulRestartTime < -1 || gracefulRestartTime > 4095) {
            throw new IllegalArgumentException("graceful restart time must be -1 (off) or 0..4095: " + gracefulRestartTime);
        }
    }

    /** Active, no password, hold 90 s, connect retry 5 s, IPv4 or IPv6 unicast by the peer's address, no GR. */
    public static PeerConfig of(IpAddress address, long remoteAs) {
        Family f = address.unmap().isV4() ? Family.IPV4_UNICAST : Family.IPV6_UNICAST;
        return new PeerConfig(address, remoteAs, 0, null, false, "", DEFAULT_HOLD_TIME, 0, DEFAULT_CONNECT_RETRY, 0,
                Set.of(f), Map.of(), -1, false);
    }

    public PeerId id() {
        return new PeerId(address);
    }

    public PeerConfig withLocalAs(long as) {
        return new PeerConfig(address, remoteAs, as, localAddress, passive, password, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withLocalAddress(IpAddress local) {
        return new PeerConfig(address, remoteAs, localAs, local, passive, password, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withPassive(boolean p) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, p, password, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withPassword(String key) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, key, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withTimers(int hold, int keepaliveSeconds, Duration retry) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, password, hold, keepaliveSeconds,
                retry, ttlSecurity, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withTtlSecurity(int hops) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, password, holdTime, keepalive,
                connectRetry, hops, families, addPath, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withFamilies(Set<Family> fs, Map<Family, Integer> paths) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, password, holdTime, keepalive,
                connectRetry, ttlSecurity, fs, paths, gracefulRestartTime, routeReflectorClient);
    }

    public PeerConfig withGracefulRestart(int restartTime) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, password, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, restartTime, routeReflectorClient);
    }

    public PeerConfig withRouteReflectorClient(boolean client) {
        return new PeerConfig(address, remoteAs, localAs, localAddress, passive, password, holdTime, keepalive,
                connectRetry, ttlSecurity, families, addPath, gracefulRestartTime, client);
    }

    /** Our AS on this session. */
    public long effectiveLocalAs(SpeakerConfig speaker) {
        return localAs != 0 ? localAs : speaker.localAs();
    }
}
