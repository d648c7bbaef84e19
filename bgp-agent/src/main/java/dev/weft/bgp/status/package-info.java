/**
 * What the speaker shows of itself: peer and route snapshots as JSON, Prometheus metrics, and the
 * {@code weftctl bgp} CLI ({@link dev.weft.bgp.status.cli.Weftctl}).
 *
 * <p>The agent implements {@link dev.weft.bgp.status.StatusSource}. Each call is answered on the
 * RIB thread with records ({@link dev.weft.bgp.status.PeerView}, {@link dev.weft.bgp.status.RouteView},
 * {@link dev.weft.bgp.status.SpeakerView}): copies, never live structures, because the
 * {@link dev.weft.bgp.status.StatusServer} renders them later on its own thread. Route dumps are
 * asked for a page at a time with the last prefix as cursor, so memory per request is one page.
 *
 * <pre>{@code
 * final class AgentStatus implements StatusSource {
 *     public CompletionStage<List<PeerView>> peers() {
 *         return CompletableFuture.supplyAsync(() -> sessions.stream().map(s -> new PeerView(
 *                 s.id().toString(), s.config().peerAs(), localAs, s.ibgp() ? PeerType.IBGP : PeerType.EBGP,
 *                 s.config().rrClient(), s.state(), s.stateSinceMillis(),
 *                 s.negotiated().map(Negotiated::holdTime).orElse(0), s.negotiated().map(Negotiated::keepaliveTime).orElse(0),
 *                 s.negotiated().map(Negotiated::families).orElse(Set.of()),
 *                 s.negotiated().map(SessionViews::capabilities).orElse(List.of()),
 *                 prefixCounts(s),                                    // AdjRibIn size, accepted, AdjRibOut advertised
 *                 s.messagesIn(), s.messagesOut(),                    // MessageCounts by type
 *                 s.lastDown().map(d -> SessionViews.lastError(d.reason(), d.atMillis())).orElse(null),
 *                 s.notificationsSent(), s.notificationsReceived(),   // Map<code, count>
 *                 s.keepaliveLateness().snapshot(),                   // KeepaliveLateness, fed as each KEEPALIVE goes out
 *                 s.flaps())).toList(), ribExecutor);
 *     }
 *
 *     public CompletionStage<RoutePage> routes(Family f, Cidr after, int limit) {
 *         return CompletableFuture.supplyAsync(
 *                 () -> RibViews.page(rib.dump(f), after, limit, path -> 0L), ribExecutor);
 *     }
 * }
 * StatusServer status = new StatusServer(new AgentStatus(), List.of(
 *         StatusServer.Listener.unix(StatusServer.DEFAULT_SOCKET),
 *         StatusServer.Listener.tcp("127.0.0.1", StatusServer.DEFAULT_PORT, Exposure.METRICS_ONLY)),
 *         StatusServer.Limits.DEFAULT, Clock.systemUTC());
 * }</pre>
 *
 * <p>{@code Rib.dump} copies and sorts the whole family on each call; at 100k routes a per-page call
 * costs the RIB thread tens of milliseconds. An agent with large tables should keep the last dump
 * for the next page's cursor, or the RIB should offer a sorted, cursor-based view.
 */
package dev.weft.bgp.status;
