package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Octets;
import dev.weft.bgp.wire.Open;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Our OPEN for a peer, and the checks of the peer's OPEN that need configuration (RFC 4271 §6.2;
 * the codec already checked the syntax). Pure.
 */
final class OpenNegotiation {
    /** RFC 6793: the 2-octet field carries AS_TRANS when the AS needs four octets. */
    private static final long MAX_AS2 = 0xFFFF;

    private final PeerConfig peer;
    private final int routerId;
    private final long localAs;

    OpenNegotiation(SpeakerConfig speaker, PeerConfig peer) {
        this.peer = peer;
        this.routerId = speaker.routerId().toV4Int();
        this.localAs = peer.effectiveLocalAs(speaker);
    }

    int routerId() {
        return routerId;
    }

    long localAs() {
        return localAs;
    }

    boolean ibgp() {
        return localAs == peer.remoteAs();
    }

    Open ourOpen() {
        List<Capability> caps = new ArrayList<>();
        for (Family f : EnumSet.copyOf(peer.families())) {
            caps.add(Capability.Multiprotocol.of(f));
        }
        caps.add(new Capability.RouteRefresh(false));
        caps.add(new Capability.EnhancedRouteRefresh());
        caps.add(new Capability.FourOctetAs(localAs));
        caps.add(new Capability.ExtendedMessage());
        if (!peer.addPath().isEmpty()) {
            List<Capability.AddPath.Entry> entries = new ArrayList<>();
            new EnumMap<>(peer.addPath()).forEach((f, bits) -> entries.add(new Capability.AddPath.Entry(f.afi(), f.safi(), bits)));
            caps.add(new Capability.AddPath(entries));
        }
        if (peer.gracefulRestartTime() >= 0) {
            // Helper only: we keep no forwarding state over our own restart, so no families and no F bits.
            caps.add(new Capability.GracefulRestart(false, false, peer.gracefulRestartTime(), List.of()));
        }
        int asField = localAs > MAX_AS2 ? Open.AS_TRANS : (int) localAs;
        return new Open(Open.VERSION, asField, peer.holdTime(), routerId, caps, false);
    }

    /** The agreement with the peer's OPEN, or the NOTIFICATION to refuse it with. */
    Negotiated accept(Open open) throws BgpWireException {
        if (open.version() != Open.VERSION) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 1, Octets.of(new byte[] {0, Open.VERSION}),
                    "unsupported version " + open.version());
        }
        if (open.holdTime() == 1 || open.holdTime() == 2) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 6, "unacceptable hold time " + open.holdTime());
        }
        if (open.as() != peer.remoteAs()) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 2,
                    "peer AS " + open.as() + ", configured " + peer.remoteAs());
        }
        if (open.bgpIdentifier() == 0 || (ibgp() && open.bgpIdentifier() == routerId)) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 3,
                    "bad BGP identifier " + Integer.toUnsignedString(open.bgpIdentifier()));
        }
        int hold = Math.min(peer.holdTime(), open.holdTime());
        int keepalive = hold == 0 ? 0 : hold / 3;
        if (hold != 0 && peer.keepalive() > 0 && peer.keepalive() < keepalive) {
            keepalive = peer.keepalive();
        }
        Set<Family> families = families(open);
        return new Negotiated(hold, keepalive, open.as(), open.bgpIdentifier(), families,
                open.capability(Capability.FourOctetAs.class).isPresent(),
                open.capability(Capability.RouteRefresh.class).isPresent(),
                open.capability(Capability.EnhancedRouteRefresh.class).isPresent(),
                addPath(open, families, Capability.AddPath.RECEIVE, Capability.AddPath.SEND),
                addPath(open, families, Capability.AddPath.SEND, Capability.AddPath.RECEIVE),
                open.capability(Capability.ExtendedMessage.class).isPresent(),
                gracefulRestart(open, families));
    }

    private Set<Family> families(Open open) {
        Set<Family> theirs = EnumSet.noneOf(Family.class);
        boolean anyMp = false;
        for (Capability c : open.capabilities()) {
            if (c instanceof Capability.Multiprotocol mp) {
                anyMp = true;
                Family.of(mp.afi(), mp.safi()).ifPresent(theirs::add);
            }
        }
        if (!anyMp) {
            theirs.add(Family.IPV4_UNICAST); // RFC 4760 §8: no MP capability means IPv4 unicast only
        }
        theirs.retainAll(peer.families());
        return theirs;
    }

    /** Families where our {@code ours} bit meets the peer's {@code theirs} bit (RFC 7911 §4). */
    private Set<Family> addPath(Open open, Set<Family> families, int ours, int theirs) {
        Set<Family> out = EnumSet.noneOf(Family.class);
        Optional<Capability.AddPath> cap = open.capability(Capability.AddPath.class);
        if (cap.isEmpty()) {
            return out;
        }
        for (Capability.AddPath.Entry e : cap.get().entries()) {
            Optional<Family> f = Family.of(e.afi(), e.safi());
            if (f.isPresent() && families.contains(f.get()) && (e.sendReceive() & theirs) != 0
                    && (peer.addPath().getOrDefault(f.get(), 0) & ours) != 0) {
                out.add(f.get());
            }
        }
        return out;
    }

    private Optional<Negotiated.PeerRestart> gracefulRestart(Open open, Set<Family> families) {
        Optional<Capability.GracefulRestart> cap = open.capability(Capability.GracefulRestart.class);
        if (cap.isEmpty() || peer.gracefulRestartTime() < 0) {
            return Optional.empty();
        }
        Map<Family, Boolean> forwarding = new EnumMap<>(Family.class);
        for (Capability.GracefulRestart.Entry e : cap.get().families()) {
            Family.of(e.afi(), e.safi()).filter(families::contains)
                    .ifPresent(f -> forwarding.put(f, e.forwardingPreserved()));
        }
        return Optional.of(new Negotiated.PeerRestart(cap.get().restartTime(), cap.get().restarting(), forwarding));
    }
}
