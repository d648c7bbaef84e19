/**
 * Real BGP peers for tests and benchmarks: BIRD 2 and GoBGP, each in its own {@code wt-} namespace
 * on one L2 segment. Independent of Weft's code: the daemons are driven through their own CLIs
 * ({@code birdc}, {@code gobgp -j}) and the kernel is read with {@code ip -j}.
 *
 * <ul>
 *   <li>{@link dev.weft.testkit.bgp.BgpLan}: a bridge namespace plus one namespace per speaker,
 *       10.99.0.N/24 and fd00:99::N/64 on eth0.</li>
 *   <li>{@link dev.weft.testkit.bgp.BirdConfig} / {@link dev.weft.testkit.bgp.BirdPeer}: a BIRD with
 *       direct, kernel (BGP routes into the namespace FIB, {@code proto bird}) and static protocols
 *       and one {@code protocol bgp} per neighbour.</li>
 *   <li>{@link dev.weft.testkit.bgp.GobgpConfig} / {@link dev.weft.testkit.bgp.GobgpPeer}: a gobgpd
 *       (RIB only, no kernel routes) with its API on the namespace's 127.0.0.1:50051.</li>
 * </ul>
 *
 * <pre>{@code
 * @KernelTest
 * class InteropTest {
 *     @Test
 *     void birdLearnsOurRoute() {
 *         try (BgpLan lan = BgpLan.create()) {
 *             Underlay.Node b = lan.addSpeaker("bird");    // 10.99.0.1, fd00:99::1
 *             Underlay.Node agent = lan.addSpeaker("agent"); // 10.99.0.2: the speaker under test
 *             BirdConfig cfg = BirdConfig.of(b.address(), 64512).localV6(b.address6())
 *                     .neighbour(BirdConfig.Neighbour.of("agent", agent.address())
 *                             .password("s3cret").timers(9, 3))     // optional: MD5, short timers
 *                     .staticRoute("10.244.1.0/26");                // BIRD announces this blackhole
 *             try (BirdPeer bird = BirdPeer.start(b.netns(), cfg)) {
 *                 // ... start the agent in agent.netns(), peering with 10.99.0.1 AS 64512 ...
 *                 bird.waitEstablished("agent", Duration.ofSeconds(30));
 *                 bird.routes(4);          // what BIRD installed in its FIB from the agent (ip -j route)
 *                 bird.restart("agent");   // Cease, then the session comes back
 *                 bird.addStatic("10.244.9.0/26");  // reconfigure: announce one more
 *                 bird.kill9();            // no NOTIFICATION: the agent must notice by hold timer
 *             }
 *         }
 *     }
 * }
 * // GoBGP as a RIB oracle / injector:
 * GobgpPeer g = GobgpPeer.start(ns, GobgpConfig.of("10.99.0.3", 64512).listen("fd00:99::3")
 *         .neighbour(GobgpConfig.Neighbour.of("10.99.0.2")));
 * g.addRoute("10.244.3.0/26", "10.99.0.3", "community", "64512:100");
 * g.waitEstablished("10.99.0.2", Duration.ofSeconds(30));
 * g.adjIn("10.99.0.2", 4);  // what the agent sent; g.rib(6) for the IPv6 Loc-RIB
 * }</pre>
 *
 * Every daemon runs in the foreground under this JVM and is stopped by PID (SIGTERM, then SIGKILL);
 * its files live in a private {@code /tmp/wt-bird-*} / {@code /tmp/wt-gobgp-*} directory removed on
 * close. The {@link dev.weft.testkit.KernelTest} leak check covers these processes and namespaces.
 */
package dev.weft.testkit.bgp;
