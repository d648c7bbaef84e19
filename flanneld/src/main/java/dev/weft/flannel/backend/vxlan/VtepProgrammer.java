package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.backend.Retry;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.lease.Lease;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netlink.BatchFailure;
import dev.weft.netlink.FdbEntry;
import dev.weft.netlink.Neighbour;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns other nodes' vxlan leases into kernel state on one vxlan device (one address family).
 * For a remote subnet S with VTEP MAC M at PublicIP P:
 * <ol>
 *   <li>{@code ip neigh replace S0 lladdr M dev flannel.N nud permanent}</li>
 *   <li>{@code bridge fdb replace M dev flannel.N dst P self permanent}</li>
 *   <li>{@code ip route replace S via S0 dev flannel.N onlink proto 87} (last, so the kernel never ARPs)</li>
 * </ol>
 * (on block IPAM, S is a block or borrowed address and S0 the node's tunnel address, shared by its blocks),
 * or, with DirectRouting and P on a connected segment, only {@code ip route replace S via P proto 87}.
 * Single leases go step by step with retries and roll back as flannel does; a Snapshot goes in
 * pipelined batches and removes what no lease accounts for.
 */
final class VtepProgrammer {
    private static final Logger LOG = LoggerFactory.getLogger(VtepProgrammer.class);

    private final RtNetlink nl;
    private final LeaseFamily family;
    private final String devName;
    private final Cidr network;
    private final boolean directRouting;
    private final long vni;
    private final Map<Cidr, VtepPeer> peers = new LinkedHashMap<>();
    private final Set<Cidr> vniWarned = new HashSet<>();
    private int dev;

    VtepProgrammer(RtNetlink nl, LeaseFamily family, String devName, Cidr network, boolean directRouting, long vni) {
        this.nl = nl;
        this.family = family;
        this.devName = devName;
        this.network = network;
        this.directRouting = directRouting;
        this.vni = vni;
    }

    /** The device (re)appeared under this index. */
    void attach(int devIndex) {
        this.dev = devIndex;
    }

    /** The peers as last told (the desired state), by subnet. */
    Map<Cidr, VtepPeer> peers() {
        return Map.copyOf(peers);
    }

    // ------------------------------------------------------------------------ single leases

    void add(Lease lease) {
        VtepPeer p = parse(lease);
        if (p == null) {
            return;
        }
        if (directRouting) {
            p = p.withDirect(RouteLookup.of(nl, family).isDirect(p.publicIp()));
        }
        VtepPeer old = peers.put(p.subnet(), p);
        if (p.equals(old)) {
            LOG.debug("{}: lease {} unchanged", devName, p.subnet());
        }
        if (program(p) && old != null && !old.equals(p)) {
            retire(old, p);
        }
    }

    void remove(Lease lease) {
        Cidr s = family.subnet(lease);
        if (s == null) {
            return;
        }
        VtepPeer old = peers.remove(s.network());
        if (old == null) {
            old = parse(lease);
            if (old == null) {
                // Unusable data: remove what can be found from the subnet alone.
                LOG.info("{}: removing subnet {} (unknown before)", devName, s);
                report("delete route " + s, RouteTag.deleteOurs(nl, vtepRoute(s.network(), s.networkAddress())));
                report("delete neighbour " + s.networkAddress(), Retry.quietly(() ->
                        nl.deleteNeighbour(new Neighbour(dev, s.networkAddress(), null, 0, 0))));
                return;
            }
            unprogramBoth(old);
            return;
        }
        unprogram(old);
    }

    /** Programs one peer; returns whether all of it is in place. */
    private boolean program(VtepPeer p) {
        if (heldByOthers(RouteTag.foreignTo(nl.routes(family.af(), Rt.RT_TABLE_MAIN), p.subnet()), p.subnet())) {
            return false;
        }
        if (p.direct()) {
            LOG.info("{}: adding direct route to subnet {} via PublicIP {}", devName, p.subnet(), p.publicIp());
            try {
                Retry.run(() -> nl.replaceRoute(directRoute(p)));
                return true;
            } catch (NetlinkException e) {
                LOG.error("{}: error adding route to {} via {}: {}", devName, p.subnet(), p.publicIp(), e.getMessage());
                return false;
            }
        }
        LOG.info("{}: adding subnet {} PublicIP {} VtepMAC {}", devName, p.subnet(), p.publicIp(), p.mac());
        try {
            Retry.run(() -> nl.replaceNeighbour(neighbour(p)));
        } catch (NetlinkException e) {
            LOG.error("{}: adding neighbour {} failed: {}", devName, p.gateway(), e.getMessage());
            return false;
        }
        try {
            Retry.run(() -> nl.replaceFdb(fdb(p)));
        } catch (NetlinkException e) {
            LOG.error("{}: adding FDB entry {} -> {} failed: {}", devName, p.mac(), p.publicIp(), e.getMessage());
            if (!neighbourUsedBeyond(p, p.subnet())) {
                report("delete neighbour " + p.gateway(), Retry.quietly(() -> nl.deleteNeighbour(neighbour(p))));
            }
            return false;
        }
        try {
            Retry.run(() -> nl.replaceRoute(vtepRoute(p)));
        } catch (NetlinkException e) {
            LOG.error("{}: failed to add route {} -> {}: {}", devName, p.subnet(), p.gateway(), e.getMessage());
            if (!neighbourUsedBeyond(p, p.subnet())) {
                report("delete neighbour " + p.gateway(), Retry.quietly(() -> nl.deleteNeighbour(neighbour(p))));
            }
            if (!fdbUsedBeyond(p, p.subnet())) {
                report("delete fdb " + p.mac(), Retry.quietly(() -> nl.deleteFdb(fdb(p))));
            }
            return false;
        }
        return true;
    }

    /** After {@code now} replaced {@code old} for the same subnet: removes what the replace left behind. */
    private void retire(VtepPeer old, VtepPeer now) {
        if (old.direct()) {
            return; // the direct route was replaced in place
        }
        // the old entries may be shared with the node's other blocks (block IPAM): those keep them
        if ((now.direct() || !old.mac().equals(now.mac())) && !fdbUsedBeyond(old, null)) {
            report("delete fdb " + old.mac(), Retry.quietly(() -> nl.deleteFdb(fdb(old))));
        }
        if ((now.direct() || !old.gateway().equals(now.gateway())) && !neighbourUsedBeyond(old, null)) {
            report("delete neighbour " + old.gateway(), Retry.quietly(() -> nl.deleteNeighbour(neighbour(old))));
        }
    }

    /** Whether a programmed peer other than the one of {@code except} (null: any) needs p's FDB entry. */
    private boolean fdbUsedBeyond(VtepPeer p, Cidr except) {
        return peers.values().stream().anyMatch(o -> !o.direct() && !o.subnet().equals(except)
                && o.mac().equals(p.mac()) && o.publicIp().equals(p.publicIp()));
    }

    /** Whether a programmed peer other than the one of {@code except} (null: any) needs p's neighbour entry. */
    private boolean neighbourUsedBeyond(VtepPeer p, Cidr except) {
        return peers.values().stream().anyMatch(o -> !o.direct() && !o.subnet().equals(except) && o.gateway().equals(p.gateway()));
    }

    /** Route first (traffic stops cleanly), then FDB and neighbour; each is tried whatever the others do. */
    private void unprogram(VtepPeer p) {
        if (p.direct()) {
            LOG.info("{}: removing direct route to subnet {} PublicIP {}", devName, p.subnet(), p.publicIp());
            report("delete route " + p.subnet(), RouteTag.deleteOurs(nl, directRoute(p)));
            return;
        }
        LOG.info("{}: removing subnet {} PublicIP {} VtepMAC {}", devName, p.subnet(), p.publicIp(), p.mac());
        report("delete route " + p.subnet(), RouteTag.deleteOurs(nl, vtepRoute(p)));
        // on block IPAM a node's blocks share its neighbour and FDB entry: they stay while another uses them
        if (!fdbUsedBeyond(p, p.subnet())) {
            report("delete fdb " + p.mac(), Retry.quietly(() -> nl.deleteFdb(fdb(p))));
        }
        if (!neighbourUsedBeyond(p, p.subnet())) {
            report("delete neighbour " + p.gateway(), Retry.quietly(() -> nl.deleteNeighbour(neighbour(p))));
        }
    }

    /** A peer not known before (e.g. removed right after a restart): it may have been programmed either way. */
    private void unprogramBoth(VtepPeer p) {
        unprogram(p.withDirect(false));
        if (directRouting) {
            RouteTag.deleteOurs(nl, directRoute(p).withProtocol(RouteTag.PROTOCOL));
        }
    }

    // ----------------------------------------------------------------------- reconciliation

    /** Makes the device's entries exactly those of {@code leases} (a Snapshot): stale ones go, missing ones come. */
    void resync(Collection<Lease> leases) {
        Map<Cidr, VtepPeer> desired = new LinkedHashMap<>();
        for (Lease l : leases) {
            VtepPeer p = parse(l);
            if (p != null) {
                desired.put(p.subnet(), p);
            }
        }
        sync(desired, true);
    }

    /** Programs every known peer again (the device was recreated and lost its entries). */
    void reprogram() {
        sync(new LinkedHashMap<>(peers), false);
    }

    private void sync(Map<Cidr, VtepPeer> desired, boolean decideDirect) {
        long t0 = System.nanoTime();
        List<Route> routes = nl.routes(family.af(), Rt.RT_TABLE_MAIN);
        if (directRouting && decideDirect) {
            RouteLookup lookup = RouteLookup.of(routes);
            desired.replaceAll((s, p) -> p.withDirect(lookup.isDirect(p.publicIp())));
        }
        List<Neighbour> neighs = nl.neighbours(family.af(), dev);
        List<FdbEntry> fdbs = nl.fdb(dev);

        Map<Cidr, Route> routeByDst = new HashMap<>();
        Map<IpAddress, Neighbour> neighByIp = new HashMap<>();
        Map<MacAddress, List<IpAddress>> fdbByMac = new HashMap<>();
        Set<IpAddress> wantedNeigh = new HashSet<>();
        Set<MacAddress> wantedMacs = new HashSet<>();
        for (VtepPeer p : desired.values()) {
            if (!p.direct()) {
                wantedNeigh.add(p.gateway());
                wantedMacs.add(p.mac());
            }
        }

        // 1. What no lease accounts for goes first.
        RtNetlink.Batch del = nl.batch();
        int staleRoutes = 0;
        int staleNeigh = 0;
        int staleFdb = 0;
        Map<Cidr, Route> foreignByDst = new HashMap<>();
        for (Route r : routes) {
            if (!owned(r)) {
                if (RouteTag.isMainUnicast(r) && r.protocol() != RouteTag.PROTOCOL) {
                    foreignByDst.putIfAbsent(r.dst(), r);
                }
                continue;
            }
            if (desired.containsKey(r.dst()) && r.priority() == 0) {
                routeByDst.put(r.dst(), r); // ours to keep, or to be replaced in place below
            } else {
                del.deleteRoute(r);
                staleRoutes++;
            }
        }
        for (Neighbour n : neighs) {
            if ((n.state() & Rt.NUD_PERMANENT) == 0) {
                continue;
            }
            if (wantedNeigh.contains(n.dst())) {
                neighByIp.put(n.dst(), n);
            } else {
                del.deleteNeighbour(n);
                staleNeigh++;
            }
        }
        for (FdbEntry e : fdbs) {
            if ((e.state() & Rt.NUD_PERMANENT) == 0 || e.dst() == null || e.dst().isV4() != (family == LeaseFamily.V4)
                    || e.mac().toLong() == 0) {
                continue;
            }
            if (wantedMacs.contains(e.mac())) {
                fdbByMac.computeIfAbsent(e.mac(), m -> new ArrayList<>()).add(e.dst());
            } else {
                del.deleteFdb(FdbEntry.vtep(dev, e.mac(), e.dst())); // NTF_SELF: the device's own table
                staleFdb++;
            }
        }
        logFailures("removing stale entries", del.execute(), null);

        // 2. Neighbours and FDB entries that are missing or differ.
        RtNetlink.Batch b1 = nl.batch();
        List<VtepPeer> owners1 = new ArrayList<>();
        for (VtepPeer p : desired.values()) {
            warnVni(p);
            if (p.direct()) {
                continue;
            }
            Neighbour n = neighByIp.get(p.gateway());
            if (n == null || !p.mac().equals(n.lladdr())) {
                b1.replaceNeighbour(neighbour(p));
                owners1.add(p);
            }
            List<IpAddress> dsts = fdbByMac.get(p.mac());
            if (dsts == null || !dsts.contains(p.publicIp())) {
                b1.replaceFdb(fdb(p));
                owners1.add(p);
            }
        }
        int changed = b1.size();
        Set<VtepPeer> failed = new LinkedHashSet<>();
        logFailures("adding neighbours and FDB entries", b1.execute(), i -> failed.add(owners1.get(i)));

        // 3. Routes last, for peers whose neighbour and FDB entry are in place.
        RtNetlink.Batch b2 = nl.batch();
        List<VtepPeer> owners2 = new ArrayList<>();
        for (VtepPeer p : desired.values()) {
            if (failed.contains(p)) {
                continue;
            }
            Route want = p.direct() ? directRoute(p) : vtepRoute(p);
            if (!matches(routeByDst.get(p.subnet()), want) && !heldByOthers(foreignByDst.get(p.subnet()), p.subnet())) {
                b2.replaceRoute(want);
                owners2.add(p);
            }
        }
        changed += b2.size();
        logFailures("adding routes", b2.execute(), i -> failed.add(owners2.get(i)));

        // 4. Whatever failed in bulk gets the careful one-by-one treatment (retries, rollback).
        for (VtepPeer p : failed) {
            program(p);
        }
        peers.clear();
        peers.putAll(desired);
        LOG.info("{}: synchronised {} peers in {} ms: removed {} routes, {} neighbours, {} FDB entries; wrote {} entries{}",
                devName, desired.size(), (System.nanoTime() - t0) / 1_000_000, staleRoutes, staleNeigh, staleFdb, changed,
                failed.isEmpty() ? "" : "; " + failed.size() + " peers needed retries");
    }

    /**
     * Routes this programmer may delete or replace: those tagged {@link RouteTag#PROTOCOL} inside
     * the flannel network, and on our device the untagged on-link ones flannel itself leaves
     * ({@code S via S0 onlink}), so a node switching from flanneld to weftd is taken over. Any other
     * untagged route is never touched; weftd refuses to start while one leads into the network
     * ({@code HostRoutes}).
     */
    private boolean owned(Route r) {
        return RouteTag.isOurs(r, network)
                || r.oif() == dev && RouteTag.isFlannelVxlanShape(r) && network.contains(r.dst());
    }

    /**
     * True (and logged) when {@code r}, an untagged route to {@code subnet} or null, is someone
     * else's: it is never replaced.
     */
    private boolean heldByOthers(Route r, Cidr subnet) {
        if (r == null || owned(r)) {
            return false;
        }
        LOG.error("{}: not routing {}: the route to {} via {} dev #{} (protocol {}) is not Weft's; remove it", devName,
                subnet, r.dst(), r.gateway(), r.oif(), r.protocol());
        return true;
    }

    private static boolean matches(Route have, Route want) {
        return have != null && have.protocol() == want.protocol() && have.priority() == 0
                && java.util.Objects.equals(have.gateway(), want.gateway())
                && (want.oif() == 0 || have.oif() == want.oif())
                && have.isOnlink() == want.isOnlink();
    }

    // ----------------------------------------------------------------------------- helpers

    private VtepPeer parse(Lease lease) {
        try {
            return VtepPeer.of(lease, family);
        } catch (IllegalArgumentException e) {
            LOG.error("{}: ignoring lease {}: error decoding subnet lease JSON: {}", devName, family.subnet(lease), e.getMessage());
            return null;
        }
    }

    private void warnVni(VtepPeer p) {
        if (p.vni() != vni && vniWarned.add(p.subnet())) {
            LOG.warn("{}: lease {} announces VNI {}, this node uses {}", devName, p.subnet(), p.vni(), vni);
        }
    }

    private Route vtepRoute(VtepPeer p) {
        return vtepRoute(p.subnet(), p.gateway());
    }

    private Route vtepRoute(Cidr subnet, IpAddress gateway) {
        return Route.to(subnet).via(gateway).dev(dev).onlink().withScope(Rt.RT_SCOPE_UNIVERSE)
                .withProtocol(RouteTag.PROTOCOL);
    }

    private static Route directRoute(VtepPeer p) {
        return Route.to(p.subnet()).via(p.publicIp()).withProtocol(RouteTag.PROTOCOL);
    }

    private Neighbour neighbour(VtepPeer p) {
        return Neighbour.permanent(dev, p.gateway(), p.mac());
    }

    private FdbEntry fdb(VtepPeer p) {
        return FdbEntry.vtep(dev, p.mac(), p.publicIp());
    }

    private void report(String what, NetlinkException e) {
        if (e != null) {
            LOG.error("{}: {} failed: {}", devName, what, e.getMessage());
        }
    }

    private void logFailures(String what, List<BatchFailure> failures, java.util.function.IntConsumer onFailure) {
        int shown = 0;
        for (BatchFailure f : failures) {
            if (onFailure != null) {
                onFailure.accept(f.index());
            } else if (f.error().isNotFound()) {
                continue; // gone already: the goal is reached
            }
            if (shown++ < 5) {
                LOG.warn("{}: {}: {}", devName, what, f.error().getMessage());
            }
        }
        if (shown > 5) {
            LOG.warn("{}: {}: {} more failures", devName, what, shown - 5);
        }
    }
}
