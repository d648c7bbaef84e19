package dev.weft.flannel.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.build.BuildInfo;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.metrics.Exposition;
import dev.weft.flannel.rules.RulesKeeper;
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
    private volatile RulesKeeper rules;

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

    /** The masquerade/forward rules being kept (only when weftd was asked for some). */
    void rules(RulesKeeper k) {
        rules = k;
    }

    void running(LeaseRenewer r, LeaseWatcher w, LeaseEventPump p) {
        renewer = r;
        watcher = w;
        pump = p;
    }

    /**
     * The node's families in the Prometheus text format, for every backend: readiness, the own
     * lease's expiry, renewals by result, remote leases seen and routes programmed, lease events by
     * kind, the lease watch's restarts and errors, and the rule resyncs. Families whose source does
     * not exist yet (before the lease is held; rules when none were asked for) are left out rather
     * than reported as 0.
     */
    String metricsText() {
        Exposition e = new Exposition();
        e.gauge("weft_ready", "1 when weftd holds its lease, the backend is up, subnet.env is written and the lease pipeline is healthy.",
                ready.getAsBoolean() ? 1 : 0);
        LeaseRenewer r = renewer;
        if (r != null) {
            Lease own = r.current();
            if (!own.isReservation()) {
                e.gauge("weft_lease_expiry_timestamp_seconds", "When the node's own subnet lease expires unless renewed (Unix time).",
                        own.expirationEpochMillis() / 1000.0);
            }
            e.family("weft_lease_renewals_total", "counter", "Renewals of the node's own lease, by result.")
                    .sample("weft_lease_renewals_total", r.renewals(), "result", "success")
                    .sample("weft_lease_renewals_total", r.renewalFailures(), "result", "error");
            e.counter("weft_lease_reacquisitions_total", "Times the own lease was lost (expired, deleted, overwritten) and acquired again.",
                    r.reacquisitions());
        }
        LeaseWatcher w = watcher;
        if (w != null) {
            e.gauge("weft_remote_leases", "Other nodes' leases weftd has seen and handed to the backend.", w.view().size());
            e.counter("weft_store_watch_restarts_total", "Times the lease watch was re-established (reconnect, re-list).", w.watchRestarts());
            e.counter("weft_store_watch_errors_total", "Store and handler failures the lease watch recovered from.", w.watchErrors());
        }
        NetworkConfig c = cfg;
        Integer programmed = c == null || r == null ? null : programmedRoutes(c);
        if (programmed != null) {
            e.gauge("weft_remote_routes_programmed", "Routes to other nodes' subnets weftd installed, as the kernel has them (vxlan, host-gw).",
                    programmed);
        }
        LeaseEventPump p = pump;
        if (p != null) {
            e.family("weft_lease_events_total", "counter", "Lease events from the watch, by type.");
            for (String kind : new String[] {"added", "removed", "snapshot"}) {
                e.sample("weft_lease_events_total", p.events(kind), "type", kind);
            }
        }
        RulesKeeper k = rules;
        if (k != null) {
            e.family("weft_rule_resyncs_total", "counter",
                    "Periodic checks of the masquerade and forward rules (-iptables-resync), by result: in_place, repaired (reinstalled), failed.");
            for (RulesKeeper.Resync result : RulesKeeper.Resync.values()) {
                e.sample("weft_rule_resyncs_total", k.resyncs(result), "result", result.label());
            }
        }
        return e.toString();
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
