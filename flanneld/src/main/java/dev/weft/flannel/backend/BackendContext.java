package dev.weft.flannel.backend;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.netlink.RtEvents;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a backend is given: the network config, the external interface, where it may keep
 * small state files, and the network namespace to work in.
 *
 * @param network            the parsed net-conf (the backend reads its options from {@code backend()})
 * @param extIface           the node's external interface
 * @param stateDir           directory for state that must survive restarts (the VTEP MAC), default
 *                           {@value #DEFAULT_STATE_DIR}
 * @param namespace          the namespace to program, default the daemon's own ({@link Namespace#host()})
 * @param routeCheckInterval how often route-based backends put back routes that went missing
 *                           (flannel: 10 s)
 */
public record BackendContext(NetworkConfig network, ExternalInterface extIface, Path stateDir, Namespace namespace,
                             Duration routeCheckInterval) {

    public static final String DEFAULT_STATE_DIR = "/var/lib/weft";
    public static final Duration DEFAULT_ROUTE_CHECK_INTERVAL = Duration.ofSeconds(10);

    public BackendContext {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(extIface, "extIface");
        stateDir = stateDir == null ? Path.of(DEFAULT_STATE_DIR) : stateDir;
        namespace = namespace == null ? Namespace.host() : namespace;
        routeCheckInterval = routeCheckInterval == null ? DEFAULT_ROUTE_CHECK_INTERVAL : routeCheckInterval;
        if (routeCheckInterval.isNegative() || routeCheckInterval.isZero()) {
            throw new IllegalArgumentException("routeCheckInterval must be positive: " + routeCheckInterval);
        }
    }

    /** Defaults: state in /var/lib/weft, the calling namespace, routes checked every 10 s. */
    public static BackendContext of(NetworkConfig network, ExternalInterface extIface) {
        return new BackendContext(network, extIface, null, null, null);
    }

    public BackendContext withStateDir(Path dir) {
        return new BackendContext(network, extIface, dir, namespace, routeCheckInterval);
    }

    /** Programs {@code ns} (a handle the caller keeps open and closes). */
    public BackendContext inNetns(NetNs ns) {
        return new BackendContext(network, extIface, stateDir, Namespace.borrow(ns), routeCheckInterval);
    }

    public BackendContext withRouteCheckInterval(Duration d) {
        return new BackendContext(network, extIface, stateDir, namespace, d);
    }

    /** An rtnetlink client bound to the backend's namespace; the caller closes it. */
    public RtNetlink openNetlink() {
        return namespace().openNetlink();
    }

    /** A subscription to rtnetlink groups in the backend's namespace. */
    public RtEvents subscribe(int... groups) {
        return namespace().subscribe(groups);
    }

    /** Writes a sysctl of the backend's namespace; {@code key} in path form when a name has a dot. */
    public void writeSysctl(String key, String value) {
        namespace().writeSysctl(key, value);
    }
}
