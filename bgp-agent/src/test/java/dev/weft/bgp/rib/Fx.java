package dev.weft.bgp.rib;

import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Small builders shared by the RIB tests. */
final class Fx {
    static final long AS = 64512;
    static final int OUR_ID = rid("10.0.0.1");
    static final Cidr P1 = Cidr.parse("10.244.1.0/26");
    static final Cidr P2 = Cidr.parse("10.244.2.0/26");

    private Fx() {}

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    static int rid(String dotted) {
        return IpAddress.parse(dotted).toV4Int();
    }

    static PeerInfo ibgp(String addr) {
        return new PeerInfo(PeerKey.of(addr), AS, AS, rid(addr), false);
    }

    static PeerInfo client(String addr) {
        return new PeerInfo(PeerKey.of(addr), AS, AS, rid(addr), true);
    }

    static PeerInfo ebgp(String addr, long as) {
        return new PeerInfo(PeerKey.of(addr), as, AS, rid(addr), false);
    }

    /** An IPv4 session with our local address 10.0.0.1. */
    static SessionParams v4() {
        return SessionParams.of(Family.IPV4_UNICAST, ip("10.0.0.1"));
    }

    static List<PathAttribute> attrs(long... asPath) {
        List<PathAttribute> l = new ArrayList<>();
        l.add(new PathAttribute.Origin(PathAttribute.Origin.IGP));
        List<Long> asns = new ArrayList<>();
        for (long a : asPath) {
            asns.add(a);
        }
        l.add(asns.isEmpty() ? PathAttribute.AsPath.EMPTY : new PathAttribute.AsPath(List.of(AsPathSegment.sequence(asns))));
        return l;
    }

    static List<PathAttribute> with(List<PathAttribute> base, PathAttribute... more) {
        List<PathAttribute> l = new ArrayList<>(base);
        l.addAll(Arrays.asList(more));
        return l;
    }

    static Update announce(List<PathAttribute> attrs, String nextHop, Cidr... prefixes) {
        List<PathAttribute> l = with(attrs, new PathAttribute.NextHop(ip(nextHop)));
        List<Nlri> nlri = new ArrayList<>();
        for (Cidr p : prefixes) {
            nlri.add(Nlri.of(p));
        }
        return new Update(List.of(), l, nlri);
    }

    static Update announce(List<PathAttribute> attrs, String nextHop, List<Nlri> nlri) {
        return new Update(List.of(), with(attrs, new PathAttribute.NextHop(ip(nextHop))), nlri);
    }

    static Update withdraw(Cidr... prefixes) {
        List<Nlri> w = new ArrayList<>();
        for (Cidr p : prefixes) {
            w.add(Nlri.of(p));
        }
        return new Update(w, List.of(), List.of());
    }

    static Path path(PeerInfo from, List<PathAttribute> attrs, String nextHop) {
        return new Path(P1, 0, from, Attrs.of(attrs, ip(nextHop)), false);
    }

    /** Every announced prefix across a drain's messages. */
    static List<Cidr> announced(List<Update> updates) {
        List<Cidr> out = new ArrayList<>();
        for (Update u : updates) {
            u.announced().forEach(n -> out.add(n.prefix()));
        }
        return out;
    }

    static List<Cidr> withdrawn(List<Update> updates) {
        List<Cidr> out = new ArrayList<>();
        for (Update u : updates) {
            u.allWithdrawn().forEach(n -> out.add(n.prefix()));
        }
        return out;
    }
}
