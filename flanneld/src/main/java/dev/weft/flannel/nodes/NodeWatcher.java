package dev.weft.flannel.nodes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.metrics.Exposition;
import dev.weft.flannel.subnet.DecodedPrefix;
import dev.weft.flannel.subnet.Liveness;
import dev.weft.flannel.subnet.ResilientWatch;
import dev.weft.flannel.subnet.SingleThread;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.net.IpAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the registrations of the other nodes ({@code <prefix>/nodes/}) and hands on the set it
 * may use whenever that set changes (renewals, which change only revisions, are not changes): to a
 * backend that takes its peers from leases (bgp) as a {@link LeaseEvent.Snapshot} of
 * {@link NodeRecord#asPeerLease() peer leases}, or by name to whoever routes the nodes' blocks.
 * Every registration is judged by {@link NodeCodec} once per write (an event decodes only the keys
 * it changed); one that is not used is logged once per write and counted by reason. Two registrations with the same PublicIP: the one created first is used, as
 * with subnet leases. The own registration is never handed on.
 */
public final class NodeWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeWatcher.class);
    /** Keys whose rejection was logged (at which revision); bounded, since anyone who can write etcd picks the keys. */
    static final int REMEMBERED = 4096;

    private final NodeCodec codec;
    private final String dir;
    private final String ownName;
    /** The peer-lease listener (bgp) and the by-name one (block routes); either may be null. */
    private final Consumer<LeaseEvent> listener;
    private final Consumer<Map<String, NodeRecord>> nodesListener;
    private final ScheduledThreadPoolExecutor executor = SingleThread.named("weftd-node-watcher");
    private final Liveness liveness = new Liveness();
    private final ResilientWatch watch;
    private final Map<NodeCodec.Reason, LongAdder> rejected = new EnumMap<>(NodeCodec.Reason.class);
    private final Map<String, Long> logged = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };
    /** Every registration key seen, judged when it was written. Only touched on the executor. */
    private final DecodedPrefix<Judged> judged;
    private volatile Map<String, NodeRecord> used = Map.of();
    private boolean delivered;

    /** A registration as written, and what {@link NodeCodec} made of it: the record, or why it is not used. */
    private record Judged(KvEntry entry, NodeRecord record, NodeCodec.Rejected rejected) {
    }

    private NodeWatcher(KvStore store, String etcdPrefix, String ownName, Consumer<LeaseEvent> listener,
                        Consumer<Map<String, NodeRecord>> nodesListener) {
        NodeKeys keys = new NodeKeys(etcdPrefix);
        this.codec = new NodeCodec(keys);
        this.dir = keys.dir();
        this.ownName = ownName;
        this.listener = listener;
        this.nodesListener = nodesListener;
        for (NodeCodec.Reason r : NodeCodec.Reason.values()) {
            rejected.put(r, new LongAdder());
        }
        this.judged = new DecodedPrefix<>(store, dir, this::decode, this::judge);
        this.watch = new ResilientWatch(store, dir, true, executor, judged, liveness);
    }

    /** Lists the registrations, delivers the first snapshot, then follows the changes. */
    public static NodeWatcher start(KvStore store, String etcdPrefix, String ownName, Consumer<LeaseEvent> listener) {
        NodeWatcher w = new NodeWatcher(store, etcdPrefix, ownName, listener, null);
        w.watch.start(0);
        return w;
    }

    /**
     * As {@link #start}, handing on the nodes in use also (or only, with a null {@code listener}) by
     * name, an unmodifiable map, on every change.
     */
    public static NodeWatcher start(KvStore store, String etcdPrefix, String ownName, Consumer<LeaseEvent> listener,
                                    Consumer<Map<String, NodeRecord>> byName) {
        NodeWatcher w = new NodeWatcher(store, etcdPrefix, ownName, listener, byName);
        w.watch.start(0);
        return w;
    }

    private Judged decode(KvEntry e) {
        try {
            return new Judged(e, codec.decode(e), null);
        } catch (NodeCodec.Rejected r) {
            reject(e, r.reason(), r.getMessage());
            return new Judged(e, null, r);
        }
    }

    /** Settles which of the decoded registrations are used (one per PublicIP) and delivers the set when it changed. */
    private void judge() {
        Map<IpAddress, NodeRecord> byIp = new HashMap<>();
        for (Judged j : judged.values()) { // in key order
            NodeRecord n = j.record();
            if (n == null) {
                continue;
            }
            NodeRecord other = byIp.get(n.attrs().publicIp());
            if (other != null) {
                NodeRecord loser = other.seniority() <= n.seniority() ? n : other;
                NodeRecord winner = loser == n ? other : n;
                byIp.put(winner.attrs().publicIp(), winner);
                reject(judged.byKey().get(dir + loser.name()).entry(), NodeCodec.Reason.DUPLICATE_PUBLIC_IP, "PublicIP "
                        + loser.attrs().publicIp() + " is node " + winner.name() + "'s, registered earlier");
                continue;
            }
            byIp.put(n.attrs().publicIp(), n);
        }
        Map<String, NodeRecord> now = new TreeMap<>();
        for (NodeRecord n : byIp.values()) {
            if (!n.name().equals(ownName)) {
                now.put(n.name(), n);
            }
        }
        Map<String, NodeRecord> before = used;
        used = java.util.Collections.unmodifiableMap(now); // by name, for logs and weftctl
        if (delivered && sameContent(before, now)) {
            return;
        }
        delivered = true;
        List<Lease> all = new ArrayList<>();
        List<Lease> added = new ArrayList<>();
        List<Lease> removed = new ArrayList<>();
        List<String> addedNames = new ArrayList<>();
        List<String> removedNames = new ArrayList<>();
        for (NodeRecord n : now.values()) {
            all.add(n.asPeerLease());
            if (!n.sameContent(before.get(n.name()))) {
                added.add(n.asPeerLease());
                addedNames.add(n.name());
            }
        }
        for (NodeRecord n : before.values()) {
            if (!n.sameContent(now.get(n.name()))) {
                removed.add(n.asPeerLease());
                removedNames.add(n.name());
            }
        }
        LOG.info("nodes: {} registered besides this one{}{}", now.size(), addedNames.isEmpty() ? "" : ", new or changed "
                + addedNames, removedNames.isEmpty() ? "" : ", gone or changed " + removedNames);
        if (nodesListener != null) {
            nodesListener.accept(used);
        }
        if (listener != null) {
            listener.accept(new LeaseEvent.Snapshot(all, added, removed));
        }
    }

    private static boolean sameContent(Map<String, NodeRecord> a, Map<String, NodeRecord> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (NodeRecord n : b.values()) {
            if (!n.sameContent(a.get(n.name()))) {
                return false;
            }
        }
        return true;
    }

    private void reject(KvEntry e, NodeCodec.Reason reason, String detail) {
        String key = e.key().length() > 200 ? e.key().substring(0, 197) + "..." : e.key();
        Long at = logged.get(e.key());
        if (at != null && at == e.modRevision()) {
            return; // this write was judged (and counted) before
        }
        logged.put(e.key(), e.modRevision());
        rejected.get(reason).increment();
        LOG.warn("ignoring node registration {} ({}): {}", key, reason.label(), detail);
    }

    /** The other nodes in use now, by name. */
    public Map<String, NodeRecord> nodes() {
        return used;
    }

    /** What the backend was handed last: a peer lease per node in use (the pump's resync view). */
    public Collection<Lease> view() {
        List<Lease> out = new ArrayList<>();
        for (NodeRecord n : used.values()) {
            out.add(n.asPeerLease());
        }
        return out;
    }

    public boolean healthy(Instant now) {
        return liveness.healthy(now);
    }

    /** Registrations rejected by reason. */
    public long rejected(NodeCodec.Reason r) {
        return rejected.get(r).sum();
    }

    public void metrics(Exposition e) {
        e.gauge("weft_remote_nodes", "Other nodes' registrations weftd uses (block IPAM).", used.size());
        e.family("weft_node_registrations_rejected_total", "counter",
                "Node registrations not used, by reason (each write counted once).");
        for (NodeCodec.Reason r : NodeCodec.Reason.values()) {
            e.sample("weft_node_registrations_rejected_total", rejected.get(r).sum(), "reason", r.label());
        }
        e.counter("weft_node_watch_restarts_total", "Times the node watch was re-established (reconnect, re-list).", watch.restarts());
        e.counter("weft_node_watch_errors_total", "Store and handler failures the node watch recovered from.", watch.errors());
    }

    @Override
    public void close() {
        watch.close();
        SingleThread.stop(executor);
    }
}
