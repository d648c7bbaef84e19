/**
 * The RIB: pure route logic, no I/O, no kernel, no locks. One thread (the BGP event loop) owns a
 * {@link dev.weft.bgp.rib.Rib} and makes every call.
 *
 * <ul>
 *   <li><b>Storage</b> ({@link dev.weft.bgp.rib.Path}, {@link dev.weft.bgp.rib.Attrs}): a path is a
 *       prefix, a peer, an ADD-PATH id, a stale flag and a reference to an interned, reference-counted
 *       attribute set, so prefixes that arrived with the same attributes share one set. The
 *       Adj-RIBs-In share the Loc-RIB's per-prefix entries (one copy per path).</li>
 *   <li><b>Import</b>: eBGP AS_PATH loop ({@code allowOwnAs}), ORIGINATOR_ID and CLUSTER_LIST loops,
 *       LOCAL_PREF default. A rejected route counts as a withdrawal.</li>
 *   <li><b>Decision</b> ({@link dev.weft.bgp.rib.Decision}): RFC 4271 §9.1.2 with RFC 4456's
 *       tie-breakers; local routes first; no IGP cost. Optional ECMP like BIRD's {@code merge paths}.
 *       Each operation reports the changed prefixes to {@link dev.weft.bgp.rib.LocRibListener}s.</li>
 *   <li><b>Export</b> ({@link dev.weft.bgp.rib.AdjRibOut}): iBGP split horizon, route reflection,
 *       NO_EXPORT / NO_ADVERTISE, eBGP rewriting. Changed prefixes go into one journal per family
 *       that every peer reads with its own cursor (later changes to a prefix supersede earlier
 *       ones); each peer drains it into size-bounded UPDATEs when its channel can take them.</li>
 *   <li><b>Graceful restart</b> (helper side, RFC 4724): stale marking, End-of-RIB sweep, timer
 *       sweep by generation so consecutive restarts keep routes (calico#1423).</li>
 * </ul>
 *
 * <pre>{@code
 * Rib rib = new Rib(RibConfig.of(64512, routerId));              // .withClusterId(id) for an RR
 * rib.addListener(changes -> fib.apply(changes));               // best-path diffs
 * rib.addOutboundListener(out -> sessions.get(out.peer().key()).wantWrite());
 * rib.originate(Cidr.parse("10.244.1.0/26"), List.of());        // our block
 *
 * // session layer, on Established:
 * rib.peerUp(new PeerInfo(key, 64512, 64512, peerRouterId, false),
 *            SessionParams.of(Family.IPV4_UNICAST, localAddress));
 * // on each UPDATE (End-of-RIB included), after the RFC 7606 outcome:
 * decoded.forRib().ifPresent(u -> rib.apply(key, u));        // decoded: a wire DecodedUpdate
 * // when the channel is writable (and after the outbound listener fired):
 * AdjRibOut out = rib.outbound(key);
 * while (channel.isWritable() && out.hasPending()) {
 *     out.drain(64 * 1024).forEach(channel::write);
 * }
 * // on ROUTE-REFRESH:
 * rib.routeRefresh(key, Family.IPV4_UNICAST);
 * // on session loss:
 * rib.peerDown(key, grNegotiated, Duration.ofSeconds(120))
 *    .ifPresent(t -> loop.schedule(() -> rib.sweepStale(t), t.restartTime()));
 * }</pre>
 */
package dev.weft.bgp.rib;
