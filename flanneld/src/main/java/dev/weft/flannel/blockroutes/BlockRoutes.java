package dev.weft.flannel.blockroutes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.nodes.NodeRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases of other nodes' blocks and borrowed addresses ({@link BlockLeases}), kept current as
 * registrations ({@link #nodes}) and blocks ({@link #blocks}) change, each from its own watch
 * thread. Whenever the set of leases changes, the listener (weftd's lease event pump, which
 * coalesces bursts) gets a {@link LeaseEvent.Snapshot} with the difference; a change of nodes or
 * blocks that moves no route (a pod ADD inside a node's own block, a renewal) gives nothing. The
 * backends resynchronise from a snapshot, so several blocks of one node sharing one VTEP neighbour
 * and FDB entry are never taken apart one by one.
 */
public final class BlockRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(BlockRoutes.class);

    private final String ownName;
    private final Consumer<LeaseEvent> listener;
    private final boolean ipv6;
    /** Nodes whose IPv6 blocks were last found unroutable (no PublicIPv6), so each is warned about once. */
    private java.util.Set<String> noIpv6Address = java.util.Set.of();
    private Map<String, NodeRecord> nodes;
    private BlockSet blocks;
    private volatile List<Lease> current = List.of();
    private boolean delivered;

    /** The backends that route blocks this way on block IPAM: those that route subnets of leases. */
    public static boolean routesBlocks(String backendType) {
        return dev.weft.flannel.config.BackendTypes.HOST_GW.equals(backendType)
                || dev.weft.flannel.config.BackendTypes.VXLAN.equals(backendType)
                || dev.weft.flannel.config.BackendTypes.UDP.equals(backendType);
    }

    /** IPv4 blocks only. */
    public BlockRoutes(String ownName, Consumer<LeaseEvent> listener) {
        this(ownName, listener, false);
    }

    /**
     * @param ipv6 whether IPv6 blocks and borrowed IPv6 addresses are routed too (host-gw and vxlan with
     *             EnableIPv6): each is a lease with an IPv6 half only ({@link dev.weft.flannel.lease.Lease#ofV6})
     */
    public BlockRoutes(String ownName, Consumer<LeaseEvent> listener, boolean ipv6) {
        this.ownName = ownName;
        this.listener = listener;
        this.ipv6 = ipv6;
    }

    /** The registrations in use changed (the node watcher's listener). */
    public synchronized void nodes(Map<String, NodeRecord> now) {
        nodes = Map.copyOf(now);
        update();
    }

    /** Starts following the IPAM tree under {@code ipamPrefix}; its changes come to this object. */
    public BlockWatcher watchBlocks(dev.weft.flannel.subnet.kv.KvStore store, String ipamPrefix) {
        return BlockWatcher.start(store, ipamPrefix, this::blocks);
    }

    /** The blocks changed (the block watcher's listener). */
    synchronized void blocks(BlockSet now) {
        blocks = now;
        update();
    }

    /** Nothing is delivered before both watches have listed: half a picture would remove routes the other half keeps. */
    private void update() {
        if (nodes == null || blocks == null) {
            return;
        }
        List<Lease> before = current;
        BlockLeases.Result result = BlockLeases.of(blocks, nodes, ownName, ipv6);
        warnNoIpv6Address(result.noIpv6Address());
        List<Lease> now = result.leases();
        TreeMap<String, Lease> old = byKey(before);
        TreeMap<String, Lease> fresh = byKey(now);
        List<Lease> added = new ArrayList<>();
        List<Lease> removed = new ArrayList<>();
        fresh.forEach((k, l) -> {
            if (!l.sameContent(old.get(k))) {
                added.add(l);
            }
        });
        old.forEach((k, l) -> {
            if (!l.sameContent(fresh.get(k))) {
                removed.add(l);
            }
        });
        current = List.copyOf(now);
        if (delivered && added.isEmpty() && removed.isEmpty()) {
            return;
        }
        delivered = true;
        LOG.info("block routes: {} to other nodes{}{}", now.size(), added.isEmpty() ? "" : ", new or changed " + names(added),
                removed.isEmpty() ? "" : ", gone or changed " + names(removed));
        listener.accept(new LeaseEvent.Snapshot(now, added, removed));
    }

    private static TreeMap<String, Lease> byKey(List<Lease> leases) {
        TreeMap<String, Lease> m = new TreeMap<>();
        leases.forEach(l -> m.put(l.key(), l));
        return m;
    }

    private static List<String> names(List<Lease> ls) {
        List<String> out = new ArrayList<>();
        for (Lease l : ls) {
            if (out.size() == 20) {
                out.add("... " + (ls.size() - 20) + " more");
                break;
            }
            out.add(l.subnet() != null ? l.subnet() + " via " + l.attrs().publicIp() : l.subnetV6() + " via " + l.attrs().publicIpV6());
        }
        return out;
    }

    /** Logs the nodes that newly have IPv6 blocks no route can lead to. */
    private void warnNoIpv6Address(java.util.Set<String> now) {
        for (String n : now) {
            if (!noIpv6Address.contains(n)) {
                LOG.warn("block routes: node {} holds IPv6 blocks or addresses but registered no IPv6 address (PublicIPv6): "
                        + "they are not routed to it (is EnableIPv6 on there, with an IPv6 address on its interface?)", n);
            }
        }
        noIpv6Address = now;
    }

    /** What the backend was handed last (the pump's resync view). */
    public Collection<Lease> view() {
        return current;
    }
}
