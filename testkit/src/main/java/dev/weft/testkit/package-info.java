/**
 * Weft's kernel test kit: proves behaviour against the REAL kernel (network namespaces) and a REAL etcd,
 * independently of Weft's own netlink code -- it drives and reads the kernel only through the
 * {@code ip}, {@code bridge}, {@code nft} and {@code sysctl} command-line tools.
 *
 * <ul>
 *   <li>{@link dev.weft.testkit.KernelTest @KernelTest}: root/tool checks (loud, never skips) and a per-test
 *       leak check of {@code wt-} namespaces, root-namespace {@code wt-} links and kit-started processes.</li>
 *   <li>{@link dev.weft.testkit.TestNetns}, {@link dev.weft.testkit.VethPair},
 *       {@link dev.weft.testkit.Underlay}: namespaces, veth pairs and a simulated L2 network of nodes.</li>
 *   <li>{@link dev.weft.testkit.KernelState}: typed readers of {@code ip -j}, {@code bridge -j},
 *       {@code nft -j}.</li>
 *   <li>{@link dev.weft.testkit.EtcdServer}: a throwaway etcd that can be stopped and restarted.</li>
 *   <li>{@link dev.weft.testkit.Cmd}: running commands without a shell, with timeouts.</li>
 * </ul>
 *
 * Safety: everything created in shared places is named {@code wt-...}; everything is removed on close, by
 * the leak check, or -- as a last resort -- by a JVM shutdown hook that touches only what this JVM created.
 * Traffic only goes to loopback or to addresses inside the kit's own namespaces.
 */
package dev.weft.testkit;
