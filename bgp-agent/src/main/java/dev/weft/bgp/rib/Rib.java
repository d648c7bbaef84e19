package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The RIB facade: Adj-RIBs-In, the Loc-RIB per family with the decision process, Adj-RIBs-Out,
 * graceful-restart helper state. See the package documentation for a usage example.
 *
 * <p><b>Threading:</b> not thread-safe and lock-free by design. One thread (the BGP event loop)
 * owns a Rib and makes every call; listeners run on that thread, inside the call that caused the
 * change, and must not call back into the Rib.
 */
public final class Rib {
    private final RibConfig config;
    private final PeerInfo self;
    private final AttrsInterner interner = new AttrsInterner();
    private final Map<Family, LocRib> tables = new EnumMap<>(Family.class);
    private final ImportPolicy importPolicy;
    private final ExportPolicy exportPolicy;
    private final Map<PeerKey, AdjRibIn> inbound = new HashMap<>();
    private final Map<PeerKey, AdjRibOut> outbound = new LinkedHashMap<>();
    /** Indexes of the advertised bits in Loc-RIB entries, one per live Adj-RIB-Out, reused. */
    private final BitSet outIndexes = new BitSet();
    private final List<LocRibListener> listeners = new ArrayList<>();
    private final List<Consumer<AdjRibOut>> outboundListeners = new ArrayList<>();
    /**
     * Numbers graceful losses RIB-wide, not per peer: a peer's inbound state is forgotten on a hard
     * reset, and a per-peer count restarting there would let an old timer match a new loss.
     */
    private long staleGenerations;

    public Rib(RibConfig config) {
        this.config = config;
        this.self = PeerInfo.local(config);
        this.importPolicy = new ImportPolicy(config);
        this.exportPolicy = new ExportPolicy(config);
        for (Family f : Family.values()) {
            tables.put(f, new LocRib(f, config.multipath(), interner, exportPolicy::audience));
        }
    }

    public RibConfig config() {
        return config;
    }

    /** Best-path changes, e.g. for the FIB (locally originated paths included: check {@link Path#isLocal}). */
    public void addListener(LocRibListener l) {
        listeners.add(l);
    }

    /**
     * Called with an Adj-RIB-Out that has something to send, after the call that queued it; the
     * session layer then drains it when its channel is writable. May repeat for one already told.
     */
    public void addOutboundListener(Consumer<AdjRibOut> l) {
        outboundListeners.add(l);
    }

    // ------------------------------------------------------------------ sessions

    /**
     * A session reached Established. Its Adj-RIB-Out gets the whole Loc-RIB queued, then End-of-RIB
     * per family. Stale routes of an earlier graceful loss stay until End-of-RIB or the timer,
     * except in families the new session does not preserve (RFC 4724 §4.2), which go now.
     */
    public void peerUp(PeerInfo peer, SessionParams session) {
        PeerKey key = peer.key();
        if (key.equals(PeerKey.LOCAL)) {
            throw new IllegalArgumentException("the unspecified address is reserved for local routes");
        }
        AdjRibIn in = inbound.get(key);
        if (in != null && in.isUp()) {
            peerDown(key, false, Duration.ZERO); // a new session replaces a live one: hard reset
            in = null;
        }
        List<RouteChange> changes = new ArrayList<>();
        if (in == null) {
            inbound.put(key, new AdjRibIn(peer, session));
        } else {
            in.up(peer, session);
            for (Family f : EnumSet.copyOf(in.staleFamilies)) {
                if (!session.grPreserved().contains(f) || !session.families().contains(f)) {
                    sweep(in, key, f, changes);
                }
            }
        }
        int index = outIndexes.nextClearBit(0);
        outIndexes.set(index);
        AdjRibOut out = new AdjRibOut(index, peer, session, tables, exportPolicy);
        outbound.put(key, out);
        for (Family f : session.families()) {
            out.requeueAll(f);
        }
        publish(changes);
        tellOutbound(out);
    }

    /**
     * The session ended. Graceful (the peer negotiated GR and the loss was not a NOTIFICATION that
     * forbids it): every route of the peer is kept, marked stale, and stays in the Loc-RIB and FIB;
     * the returned timer must be handed back to {@link #sweepStale} after {@code restartTime}.
     * Otherwise every route of the peer is withdrawn now.
     *
     * <p>Consecutive restarts (calico#1423, deliberately unlike RFC 4724 §4.2, which deletes
     * stale routes on a second loss): a graceful loss while routes are still stale keeps them all
     * stale, marks what the short-lived session re-announced stale too, and starts a new
     * generation, so only the timer of this latest loss, or End-of-RIB from a later session,
     * removes them. Timers of earlier losses do nothing.
     */
    public Optional<StaleTimer> peerDown(PeerKey key, boolean graceful, Duration restartTime) {
        AdjRibOut out = outbound.remove(key);
        if (out != null) {
            out.close();
            for (LocRib t : tables.values()) {
                t.clearAdvertised(out.index());
            }
            outIndexes.clear(out.index());
        }
        AdjRibIn in = inbound.get(key);
        if (in == null) {
            return Optional.empty();
        }
        in.down();
        if (graceful && restartTime.compareTo(Duration.ZERO) > 0) {
            for (LocRib t : tables.values()) {
                t.markStale(key);
                if (in.routeCount(t.family()) > 0) {
                    in.staleFamilies.add(t.family());
                }
            }
            if (in.routeCount() > 0) {
                in.generation = ++staleGenerations;
                return Optional.of(new StaleTimer(key, in.generation, restartTime));
            }
            inbound.remove(key);
            return Optional.empty();
        }
        List<RouteChange> changes = new ArrayList<>();
        for (LocRib t : tables.values()) {
            in.count(t.family(), -t.removeAll(key, p -> true, changes));
        }
        inbound.remove(key);
        publish(changes);
        return Optional.empty();
    }

    /** End-of-RIB from the peer's current session: its routes of the family still stale were not re-announced and go. */
    public void endOfRib(PeerKey key, Family family) {
        AdjRibIn in = inbound.get(key);
        if (in == null || !in.isUp()) {
            return;
        }
        List<RouteChange> changes = new ArrayList<>();
        sweep(in, key, family, changes);
        publish(changes);
    }

    /**
     * The restart timer of {@code timer}'s loss expired: every route of the peer still stale goes,
     * whether or not a new session is up. Returns false (and does nothing) when a later loss
     * superseded that timer.
     */
    public boolean sweepStale(StaleTimer timer) {
        AdjRibIn in = inbound.get(timer.peer());
        if (in == null || in.generation != timer.generation()) {
            return false;
        }
        List<RouteChange> changes = new ArrayList<>();
        for (Family f : EnumSet.copyOf(tables.keySet())) {
            sweep(in, timer.peer(), f, changes);
        }
        if (!in.isUp() && in.routeCount() == 0) {
            inbound.remove(timer.peer());
        }
        publish(changes);
        return true;
    }

    private void sweep(AdjRibIn in, PeerKey key, Family f, List<RouteChange> changes) {
        if (in.staleFamilies.remove(f)) {
            in.count(f, -tables.get(f).removeAll(key, Path::stale, changes));
        }
    }

    /** ROUTE-REFRESH from the peer: its whole Adj-RIB-Out of the family is sent again, then End-of-RIB. */
    public void routeRefresh(PeerKey key, Family family) {
        AdjRibOut out = outbound.get(key);
        if (out != null) {
            out.requeueAll(family);
            tellOutbound(out);
        }
    }

    // ------------------------------------------------------------------ updates

    /**
     * An UPDATE from an Established peer: withdrawals, announcements (NLRI with NEXT_HOP and
     * MP_REACH), ADD-PATH ids as decoded, or an End-of-RIB marker. Prefixes of families the
     * session did not negotiate are ignored.
     */
    public void apply(PeerKey key, Update u) {
        AdjRibIn in = inbound.get(key);
        if (in == null || !in.isUp()) {
            throw new IllegalStateException("UPDATE from a peer that is not up: " + key);
        }
        Optional<Family> eor = u.endOfRibFamily();
        if (eor.isPresent()) {
            endOfRib(key, eor.get());
            return;
        }
        List<RouteChange> changes = new ArrayList<>();
        for (Nlri n : u.allWithdrawn()) {
            withdraw(in, n, changes);
        }
        if (!u.nlri().isEmpty()) {
            IpAddress nh = u.attribute(PathAttribute.NextHop.class).map(PathAttribute.NextHop::address).orElse(null);
            announce(in, Attrs.of(u.attributes(), nh), u.nlri(), changes);
        }
        Optional<PathAttribute.MpReach> mp = u.attribute(PathAttribute.MpReach.class);
        if (mp.isPresent() && !mp.get().nlri().isEmpty()) {
            List<IpAddress> hops = mp.get().nextHops();
            Attrs a = Attrs.of(u.attributes(), hops.isEmpty() ? null : hops.get(0), hops.size() > 1 ? hops.get(1) : null);
            announce(in, a, mp.get().nlri(), changes);
        }
        publish(changes);
    }

    private void announce(AdjRibIn in, Attrs received, List<Nlri> nlri, List<RouteChange> changes) {
        PeerInfo peer = in.peer();
        ImportPolicy.Rejection r = importPolicy.check(peer, received);
        if (r != null) {
            in.reject(r, nlri.size());
            for (Nlri n : nlri) {
                withdraw(in, n, changes); // treat-as-withdraw: an earlier path from this peer must go
                if (in.session().families().contains(n.family())) {
                    in.refused(n.family(), n, true);
                }
            }
            return;
        }
        // Held for the loop so the set stays interned even if the first path replaces its last user.
        Attrs shared = interner.retain(importPolicy.normalize(peer, received));
        try {
            for (Nlri n : nlri) {
                Family f = n.family();
                if (in.session().families().contains(f)) {
                    in.refused(f, n, false);
                    if (tables.get(f).announce(new Path(n.prefix(), n.pathId(), peer, shared, false), changes) == null) {
                        in.count(f, 1);
                    }
                }
            }
        } finally {
            interner.release(shared);
        }
    }

    private void withdraw(AdjRibIn in, Nlri n, List<RouteChange> changes) {
        Family f = n.family();
        if (!in.session().families().contains(f)) {
            return;
        }
        in.refused(f, n, false);
        if (tables.get(f).withdraw(n.prefix(), in.peer().key(), n.pathId(), changes) != null) {
            in.count(f, -1);
        }
    }

    // ------------------------------------------------------------------ local routes

    /**
     * Originates a prefix (the node's subnet or IPAM blocks) with the given attributes; ORIGIN IGP
     * and an empty AS_PATH are added when missing, the next hop is "self" per session. A local
     * route beats every learned one. Originating it again replaces its attributes.
     */
    public void originate(Cidr prefix, List<PathAttribute> attributes) {
        if (prefix.hasHostBits()) {
            throw new IllegalArgumentException("prefix has host bits: " + prefix);
        }
        List<PathAttribute> list = new ArrayList<>(attributes);
        if (list.stream().noneMatch(a -> a instanceof PathAttribute.Origin)) {
            list.add(new PathAttribute.Origin(PathAttribute.Origin.IGP));
        }
        if (list.stream().noneMatch(a -> a instanceof PathAttribute.AsPath)) {
            list.add(PathAttribute.AsPath.EMPTY);
        }
        List<RouteChange> changes = new ArrayList<>();
        Attrs shared = interner.retain(Attrs.of(list, null));
        try {
            tables.get(family(prefix)).announce(new Path(prefix, 0, self, shared, false), changes);
        } finally {
            interner.release(shared);
        }
        publish(changes);
    }

    public void withdrawOriginated(Cidr prefix) {
        List<RouteChange> changes = new ArrayList<>();
        tables.get(family(prefix)).withdraw(prefix, PeerKey.LOCAL, 0, changes);
        publish(changes);
    }

    // ------------------------------------------------------------------ queries

    /** The peer's Adj-RIB-Out while its session is up, else null. */
    public AdjRibOut outbound(PeerKey key) {
        return outbound.get(key);
    }

    public Collection<AdjRibOut> outbound() {
        return List.copyOf(outbound.values());
    }

    /** The peer's inbound state while it is up or has stale routes, else null. */
    public AdjRibIn adjRibIn(PeerKey key) {
        return inbound.get(key);
    }

    /** The family's Loc-RIB sorted by prefix, for status. */
    public List<RibEntry> dump(Family family) {
        List<RibEntry> out = new ArrayList<>();
        tables.get(family).forEach((prefix, d) -> out.add(new RibEntry(prefix, d.selected(), d.all())));
        out.sort(Comparator.comparing(RibEntry::prefix));
        return out;
    }

    /** The selected paths of one prefix, best first; empty when unknown. */
    public List<Path> selected(Cidr prefix) {
        Dest d = tables.get(family(prefix)).dest(prefix);
        return d == null ? List.of() : d.selected();
    }

    public int prefixCount(Family family) {
        return tables.get(family).prefixCount();
    }

    /** Entries in the family's change journal (for tests of its bound). */
    int journalSize(Family family) {
        return tables.get(family).journal().size();
    }

    /** Distinct interned attribute sets in use. */
    public int attributeSetCount() {
        return interner.size();
    }

    // ------------------------------------------------------------------ internals

    private static Family family(Cidr prefix) {
        return prefix.isV6() ? Family.IPV6_UNICAST : Family.IPV4_UNICAST;
    }

    private void publish(List<RouteChange> changes) {
        boolean repeats = false;
        for (LocRib t : tables.values()) {
            repeats |= t.takeRepeats();
        }
        if (changes.isEmpty()) {
            return;
        }
        if (changes.size() > 1 && repeats) {
            // One entry per prefix, its latest state, in the order of the latest changes.
            Map<Cidr, RouteChange> latest = new LinkedHashMap<>(changes.size() * 4 / 3 + 1);
            for (RouteChange c : changes) {
                if (latest.put(c.prefix(), c) != null) { // rare: moved behind what came between
                    latest.remove(c.prefix());
                    latest.put(c.prefix(), c);
                }
            }
            changes = List.copyOf(latest.values());
        } else {
            changes = List.copyOf(changes);
        }
        for (LocRibListener l : listeners) {
            l.changed(changes);
        }
        for (AdjRibOut out : outbound.values()) {
            tellOutbound(out);
        }
    }

    private void tellOutbound(AdjRibOut out) {
        if (out.hasPending()) {
            for (Consumer<AdjRibOut> l : outboundListeners) {
                l.accept(out);
            }
        }
    }
}
