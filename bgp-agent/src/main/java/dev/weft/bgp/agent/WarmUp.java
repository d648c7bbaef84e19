package dev.weft.bgp.agent;

import dev.weft.bgp.fib.FibChange;
import dev.weft.bgp.fib.FibShaper;
import dev.weft.bgp.fib.FibWarmUp;
import dev.weft.bgp.rib.PeerInfo;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.Rib;
import dev.weft.bgp.rib.RibConfig;
import dev.weft.bgp.rib.RouteChange;
import dev.weft.bgp.rib.SessionParams;
import dev.weft.bgp.wire.BgpCodec;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.DecodedUpdate;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;

/**
 * Runs the route path once at start, before any session is up, on throwaway objects: UPDATEs
 * encoded and decoded by the real codec, applied to a RIB of their own, the best-path changes
 * turned into FIB changes, and those into netlink add/replace/delete requests written to a scratch
 * buffer that is never sent. A fresh JVM otherwise pays class loading and the interpreter on its
 * first routes: the first route of a full table reached the kernel 33-146 ms after Established,
 * BIRD's in 1-5 ms (bench/bgp-ingest, issue 13). No kernel, no network, nothing kept.
 */
final class WarmUp {
    /** Prefixes per UPDATE: as many /24s as a 4096-octet message holds with room for the attributes. */
    static final int PER_UPDATE = 900;
    /** Enough calls of the per-route methods for the client compiler to take them (a method's 200th call, a loop's 60000th turn). */
    static final int UPDATES = 4;

    /** What one run went through, for the debug line and the test. */
    record Result(int prefixes, int installs, int removes, long netlinkOctets, long nanos) {
    }

    private WarmUp() {
    }

    /**
     * One pass with the agent's RIB settings (its AS, so the synthetic peer is iBGP as a mesh's
     * are). Throws only on a bug in the path it runs; the caller decides what that means.
     */
    static Result run(RibConfig ribConfig, int table) {
        long start = System.nanoTime();
        Rib rib = new Rib(ribConfig);
        List<RouteChange> changes = new ArrayList<>();
        rib.addListener(changes::addAll);
        // documentation addresses (RFC 5737): nothing real is named, and nothing leaves this method
        IpAddress peer = IpAddress.parse("192.0.2.1");
        PeerKey key = new PeerKey(peer);
        rib.peerUp(new PeerInfo(key, ribConfig.localAs(), ribConfig.localAs(), peer.toV4Int(), false),
                SessionParams.of(Family.IPV4_UNICAST, IpAddress.parse("192.0.2.2")));
        CodecContext ctx = new CodecContext(true, Set.of(), Set.of(), false);
        List<PathAttribute> attrs = List.of(new PathAttribute.Origin(PathAttribute.Origin.IGP), PathAttribute.AsPath.EMPTY,
                new PathAttribute.NextHop(peer), new PathAttribute.LocalPref(100));
        ByteBuf frame = Unpooled.buffer(CodecContext.MAX_MESSAGE);
        int prefixes = 0;
        try {
            for (int u = 0; u < UPDATES; u++) {
                List<Nlri> nlri = new ArrayList<>(PER_UPDATE);
                for (int i = 0; i < PER_UPDATE; i++, prefixes++) {
                    // /24s of 100.64.0.0/10 (shared address space, RFC 6598): they never leave this method
                    int addr = (100 << 24) | (64 << 16) | (prefixes << 8);
                    nlri.add(Nlri.of(Cidr.of(IpAddress.ofV4(addr), 24)));
                }
                frame.clear();
                BgpCodec.encode(new Update(List.of(), attrs, nlri), ctx, frame);
                DecodedUpdate d = BgpCodec.decodeUpdate(frame, ctx);
                d.forRib().ifPresent(up -> rib.apply(key, up));
            }
        } catch (BgpWireException e) {
            throw new IllegalStateException("warm-up: our own UPDATE did not decode: " + e.getMessage(), e);
        } finally {
            frame.release();
        }
        FibRoutes.LastHop last = new FibRoutes.LastHop();
        List<FibChange> in = FibRoutes.all(changes, new HashMap<>(), k -> 0, FibShaper.AS_LEARNED, last);
        changes.clear();
        rib.peerDown(key, false, Duration.ZERO);
        List<FibChange> out = FibRoutes.all(changes, new HashMap<>(), k -> 0, FibShaper.AS_LEARNED, last);
        long octets = FibWarmUp.encode(in, table) + FibWarmUp.encode(out, table);
        return new Result(prefixes, in.size(), out.size(), octets, System.nanoTime() - start);
    }
}
