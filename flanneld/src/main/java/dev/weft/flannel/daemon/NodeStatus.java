package dev.weft.flannel.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.build.BuildInfo;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.subnet.LeaseRenewer;
import dev.weft.flannel.subnet.LeaseWatcher;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.time.Clock;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * This node as weftctl status shows it, rendered as JSON for the local status socket: the build,
 * readiness, network and backend, the external interface, the own lease and when it expires, the
 * peers (leases seen against routes programmed, read back from the kernel) and the rules asked for.
 * Parts not known yet while weftd starts are null.
 */
final class NodeStatus {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WeftdOptions o;
    private final BooleanSupplier ready;
    private final Clock clock;
    private volatile NetworkConfig cfg;
    private volatile ExternalInterface ext;
    private volatile RtNetlink nl;
    private volatile LeaseRenewer renewer;
    private volatile LeaseWatcher watcher;
    private volatile LeaseEventPump pump;

    NodeStatus(WeftdOptions o, BooleanSupplier ready, Clock clock) {
        this.o = o;
        this.ready = ready;
        this.clock = clock;
    }

    void configured(NetworkConfig c, ExternalInterface e, RtNetlink n) {
        cfg = c;
        ext = e;
        nl = n;
    }

    void running(LeaseRenewer r, LeaseWatcher w, LeaseEventPump p) {
        renewer = r;
        watcher = w;
        pump = p;
    }

    /**
     * The node's families in the Prometheus text format, for every backend: readiness, the own
     * lease's expiry, renewals by result, remote leases seen and routes programmed, lease events by
     * kind, and the lease watch's restarts and errors. Families whose source does not exist yet
     * (before the lease is held) are left out rather than reported as 0.
     */
    String metricsText() {
        StringBuilder b = new StringBuilder();
        gauge(b, "weft_ready", "1 when weftd holds its lease, the backend is up, subnet.env is written and the lease pipeline is healthy.",
                ready.getAsBoolean() ? 1 : 0);
        LeaseRenewer r = renewer;
        if (r != null) {
            Lease own = r.current();
            if (!own.isReservation()) {
                gauge(b, "weft_lease_expiry_timestamp_seconds", "When the node's own subnet lease expires unless renewed (Unix time).",
                        own.expirationEpochMillis() / 1000.0);
            }
            family(b, "weft_lease_renewals_total", "counter", "Renewals of the node's own lease, by result.");
            b.append("weft_lease_renewals_total{result=\"success\"} ").append(r.renewals()).append('\n');
            b.append("weft_lease_renewals_total{result=\"error\"} ").append(r.renewalFailures()).append('\n');
            family(b, "weft_lease_reacquisitions_total", "counter", "Times the own lease was lost (expired, deleted, overwritten) and acquired again.");
            b.append("weft_lease_reacquisitions_total ").append(r.reacquisitions()).append('\n');
        }
        LeaseWatcher w = watcher;
        if (w != null) {
            gauge(b, "weft_remote_leases", "Other nodes' leases weftd has seen and handed to the backend.", w.view().size());
            family(b, "weft_store_watch_restarts_total", "counter", "Times the lease watch was re-established (reconnect, re-list).");
            b.append("weft_store_watch_restarts_total ").append(w.watchRestarts()).append('\n');
            family(b, "weft_store_watch_errors_total", "counter", "Store and handler failures the lease watch recovered from.");
            b.append("weft_store_watch_errors_total ").append(w.watchErrors()).append('\n');
        }
        NetworkConfig c = cfg;
        Integer programmed = c == null || r == null ? null : programmedRoutes(c);
        if (programmed != null) {
            gauge(b, "weft_remote_routes_programmed", "Routes to other nodes' subnets weftd installed, as the kernel has them (vxlan, host-gw).",
                    programmed);
        }
        LeaseEventPump p = pump;
        if (p != null) {
            family(b, "weft_lease_events_total", "counter", "Lease events from the watch, by type.");
            for (String kind : new String[] {"added", "removed", "snapshot"}) {
                b.append("weft_lease_events_total{type=\"").append(kind).append("\"} ").append(p.events(kind)).append('\n');
            }
        }
        return b.toString();
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, double value) {
        family(b, name, "gauge", help);
        b.append(name).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(value);
        }
        b.append('\n');
    }

    String json() {
        ObjectNode doc = JSON.createObjectNode();
        BuildInfo b = BuildInfo.current();
        doc.put("version", b.version()).put("commit", b.commit()).put("ready", ready.getAsBoolean());
        NetworkConfig c = cfg;
        ExternalInterface e = ext;
        LeaseRenewer r = renewer;
        LeaseWatcher w = watcher;
        Lease own = r == null ? null : r.current();
        doc.put("network", c == null || !c.enableIPv4() ? null : c.network().toString());
        doc.put("ipv6Network", c == null || !c.enableIPv6() ? null : c.ipv6Network().toString());
        doc.put("backend", c == null ? null : c.backendType());
        doc.put("device", own == null ? null : device(own));
        doc.put("externalInterface", e == null ? null : e.name());
        doc.put("publicIP", e == null || e.extAddr() == null ? null : e.extAddr().toString());
        if (own == null) {
            doc.putNull("lease");
        } else {
            ObjectNode l = doc.putObject("lease");
            l.put("subnet", own.subnet() == null ? null : own.subnet().toString());
            l.put("subnetV6", own.subnetV6() == null ? null : own.subnetV6().toString());
            if (own.isReservation()) {
                l.putNull("expires");
                l.putNull("expiresInSeconds");
            } else {
                l.put("expires", Instant.ofEpochMilli(own.expirationEpochMillis()).toString());
                l.put("expiresInSeconds", Math.max(0, (own.expirationEpochMillis() - clock.millis()) / 1000));
            }
        }
        ObjectNode peers = doc.putObject("peers");
        if (w == null) {
            peers.putNull("leasesSeen");
        } else {
            peers.put("leasesSeen", w.view().size());
        }
        Integer programmed = c == null ? null : programmedRoutes(c);
        if (programmed == null) {
            peers.putNull("routesProgrammed");
        } else {
            peers.put("routesProgrammed", programmed);
        }
        doc.putObject("rules").put("masquerade", o.ipMasq).put("forward", o.forwardRules).put("blackholeRoute", o.ipBlackholeRoute);
        doc.put("subnetFile", o.subnetFile);
        return doc.toString();
    }

    /**
     * The backend's device: the link that holds the own subnet's network address (flannel.N for
     * vxlan, flannel0 for udp); null for host-gw, which routes over the external interface.
     */
    private String device(Lease own) {
        RtNetlink n = nl;
        if (n == null || own.subnet() == null) {
            return null;
        }
        for (Address a : n.addresses(Linux.AF_INET, 0)) {
            if (a.cidr().address().equals(own.subnet().address())) {
                return n.link(a.index()).map(Link::name).orElse(null);
            }
        }
        return null;
    }

    /**
     * Routes to other nodes' subnets that weftd installed (tagged {@link RouteTag#PROTOCOL}), as the
     * kernel has them now: vxlan and host-gw program one per peer. The udp backend keeps its peers in
     * user space behind one route, so it has no such count (null).
     */
    private Integer programmedRoutes(NetworkConfig c) {
        RtNetlink n = nl;
        if (n == null || "udp".equals(c.backendType())) {
            return null;
        }
        int count = 0;
        for (int family : new int[] {Linux.AF_INET, Linux.AF_INET6}) {
            Cidr net = family == Linux.AF_INET ? (c.enableIPv4() ? c.network() : null) : (c.enableIPv6() ? c.ipv6Network() : null);
            if (net == null) {
                continue;
            }
            for (Route r : n.routes(family, Rt.RT_TABLE_MAIN, RouteTag.PROTOCOL)) {
                if (RouteTag.isOurs(r, net)) {
                    count++;
                }
            }
        }
        return count;
    }
}
