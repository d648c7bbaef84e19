package dev.weft.bgp.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.netns.Namespace;
import dev.weft.testkit.BackgroundProcess;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.GobgpConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The test fixture for the agent: a weft-bgp speaker on a node of a {@link dev.weft.testkit.bgp.BgpLan},
 * its sessions and its FIB in that node's {@code wt-} namespace. Either in this JVM
 * ({@link #inProcess}, with the {@link BgpAgent} at hand) or as the launcher process
 * ({@link #launch}: the shipped shell header of {@code dist/bin/weft-bgp}, run by {@code ip netns
 * exec}, with a class-path jar for the classes just compiled, or the packaged one with
 * {@code -Dweft.bgp.launcher=../dist/bin/weft-bgp}), which SIGHUP reloads and kill -9 kills.
 *
 * <pre>{@code
 * try (BgpLan lan = BgpLan.create()) {
 *     Underlay.Node a = lan.addSpeaker("agent"), b = lan.addSpeaker("bird");
 *     AgentConfig c = AgentNode.config(a, 64512).withPeers(List.of(AgentNode.peer(b.address(), 64512)));
 *     try (BirdPeer bird = BirdPeer.start(b.netns(), ...); AgentNode agent = AgentNode.inProcess(a, c)) {
 *         agent.awaitRoute(4, "10.244.2.0/26");       // proto weft-bgp in the agent's namespace
 *     }
 * }
 * }</pre>
 */
public final class AgentNode implements AutoCloseable {
    public static final Duration CONVERGE = Duration.ofSeconds(15);
    /** The shell header of dist/bin/weft-bgp, relative to the module (the tests' working directory). */
    static final Path LAUNCHER_HEADER = Path.of("src", "main", "dist", "weft-bgp.sh");
    /** -Dweft.bgp.launcher=../dist/bin/weft-bgp runs the packaged launcher instead (after mvn package). */
    public static final String LAUNCHER_PROPERTY = "weft.bgp.launcher";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Underlay.Node node;
    private final Path dir;
    private final Path configFile;
    private AgentConfig config;
    private Namespace ns;
    private BgpAgent agent;
    private BackgroundProcess process;

    private AgentNode(Underlay.Node node, AgentConfig config) {
        this.node = node;
        this.config = config;
        try {
            this.dir = Files.createTempDirectory("wt-agent-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.configFile = dir.resolve("weft-bgp.json");
        writeConfig(config);
    }

    /** A config for {@code node}: its IPv4 address as router id, port 179 on every address, short GR waits. */
    public static AgentConfig config(Underlay.Node node, long as) {
        return AgentConfig.of(node.address(), as).withGracefulRestart(AgentConfig.GracefulRestart.of(true, 30, 20));
    }

    /** A peer with test timers: hold 9 s, connect retry 1 s. */
    public static AgentConfig.Peer peer(String address, long as) {
        return AgentConfig.Peer.of(address, as).withTimers(9, 1);
    }

    /** BIRD's side of a session with the agent, with short timers: hold 9 s, connect retry 1 s. */
    public static BirdConfig.Neighbour birdNeighbour(String name, String agentAddress, long agentAs) {
        return BirdConfig.Neighbour.of(name, agentAddress).peerAs(agentAs).timers(9, 3).connectRetry(1);
    }

    /** GoBGP's side of a session with the agent, with short timers. */
    public static GobgpConfig.Neighbour gobgpNeighbour(String agentAddress, long agentAs) {
        return GobgpConfig.Neighbour.of(agentAddress).peerAs(agentAs).timers(9, 3).connectRetry(1);
    }

    /** A path for a Unix socket in a fresh temp directory (removed with the JVM's temp files). */
    public static String tempSocket(String name) {
        try {
            Path d = Files.createTempDirectory("wt-agent-sock-");
            d.toFile().deleteOnExit();
            return d.resolve(name + ".sock").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The agent in this JVM; sessions and FIB in the node's namespace. */
    public static AgentNode inProcess(Underlay.Node node, AgentConfig config) {
        AgentNode n = new AgentNode(node, config);
        n.ns = Namespace.open(node.path().toString());
        try {
            n.agent = BgpAgent.start(config, n.ns);
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /** {@code ip netns exec <node> weft-bgp --config <file>}, as an operator runs it. */
    public static AgentNode launch(Underlay.Node node, AgentConfig config) {
        AgentNode n = new AgentNode(node, config);
        n.startProcess();
        return n;
    }

    private void startProcess() {
        Path launcher = testLauncher(dir);
        // rt_protos.d goes to the test's directory, not the host's /etc
        // Started with SIGHUP and SIGTERM ignored, as nohup or a careless supervisor would: the
        // launcher must reset them, or reload (RuntimePeersTest) and stop (LauncherTest) fail.
        process = Cmd.of("env", "--ignore-signal=HUP,TERM", launcher.toString(), "--config", configFile.toString(), "--rt-protos-dir",
                dir.toString()).netns(node.netns()).start(dir.resolve("weft-bgp.log"));
        await(() -> process.isAlive() && node.tryExec("ss", "-Htln", "sport = :" + config.listen().port()).stdout().contains("LISTEN")
                ? Boolean.TRUE : processGone(), "weft-bgp listening in " + node.netns());
    }

    private Boolean processGone() {
        if (!process.isAlive()) {
            throw new AssertionError("weft-bgp exited at start:\n" + process.logTail(4000));
        }
        return null;
    }

    public Underlay.Node node() {
        return node;
    }

    /** The in-process agent (not for a launched one). */
    public BgpAgent agent() {
        return Objects.requireNonNull(agent, "launched as a process: use reload/kill9/restart");
    }

    public BackgroundProcess process() {
        return Objects.requireNonNull(process, "in-process agent: use agent()");
    }

    public Path configFile() {
        return configFile;
    }

    public String log() {
        return process == null ? "" : process.logTail(8000);
    }

    /** Writes the new config; a launched agent gets SIGHUP, an in-process one {@link BgpAgent#reconfigure}. */
    public void reload(AgentConfig next) {
        writeConfig(next);
        config = next;
        if (agent != null) {
            agent.reconfigure(next).join();
        } else {
            Cmd.run("kill", "-HUP", Long.toString(process.pid()));
        }
    }

    /** Writes {@code text} as the config file and sends SIGHUP (launched agents only). */
    public void reloadRaw(String text) {
        try {
            Files.writeString(configFile, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Cmd.run("kill", "-HUP", Long.toString(process().pid()));
    }

    /** SIGKILL: nothing is cleaned up, so the kernel keeps what the agent installed. */
    public void kill9() {
        process().kill();
    }

    /** A launched agent again, with the config file as it is now. */
    public void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("still running");
        }
        startProcess();
    }

    /** Weft-BGP's routes (protocol 88) in the node's main table. */
    public List<RouteInfo> kernelRoutes(int family) {
        List<RouteInfo> out = new ArrayList<>();
        for (RouteInfo r : KernelState.routes(node.netns(), family)) {
            if (r.protocol().equals("88") || r.protocol().equals("weft-bgp")) {
                out.add(r);
            }
        }
        return out;
    }

    public RouteInfo awaitRoute(int family, String dst) {
        return awaitRoute(() -> kernelRoutes(family), dst);
    }

    public void awaitNoRoute(int family, String dst) {
        awaitAbsent(() -> kernelRoutes(family), dst);
    }

    static RouteInfo awaitRoute(Supplier<List<RouteInfo>> routes, String dst) {
        return await(() -> routes.get().stream().filter(r -> dst.equals(r.dst())).findFirst().orElse(null), "route " + dst);
    }

    static void awaitAbsent(Supplier<List<RouteInfo>> routes, String dst) {
        await(() -> routes.get().stream().noneMatch(r -> dst.equals(r.dst())) ? Boolean.TRUE : null, "no route " + dst);
    }

    /** Polls until non-null: convergence with a peer has no event to wait on. */
    static <T> T await(Supplier<T> s, String what) {
        long deadline = System.nanoTime() + CONVERGE.toNanos();
        T v;
        while ((v = s.get()) == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
        return v;
    }

    private void writeConfig(AgentConfig c) {
        try {
            Path tmp = dir.resolve("weft-bgp.json.tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
            Files.move(tmp, configFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The launcher as shipped (its shell header, byte for byte) followed by a jar whose manifest
     * Class-Path names this JVM's class path: the script runs {@code java -cp "$0" Main} as in
     * dist/bin/weft-bgp, without needing the package phase before the tests.
     */
    static Path testLauncher(Path dir) {
        String packaged = System.getProperty(LAUNCHER_PROPERTY);
        if (packaged != null) {
            Path p = Path.of(packaged).toAbsolutePath();
            if (!Files.isExecutable(p)) {
                throw new AssertionError(LAUNCHER_PROPERTY + "=" + packaged + " is not an executable (run mvn -pl bgp-agent -am package)");
            }
            return p;
        }
        Path launcher = dir.resolve("weft-bgp");
        if (Files.exists(launcher)) {
            return launcher;
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        StringBuilder cp = new StringBuilder();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isEmpty()) {
                cp.append(Path.of(e).toAbsolutePath().toUri()).append(' ');
            }
        }
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString().trim());
        try (OutputStream out = Files.newOutputStream(launcher)) {
            out.write(Files.readAllBytes(LAUNCHER_HEADER));
            try (JarOutputStream j = new JarOutputStream(out, m)) {
                j.flush();
            }
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return launcher;
    }

    /** Stops the agent (SIGTERM / close: Cease/2) and removes the files; the namespace is the LAN's. */
    @Override
    public void close() {
        try {
            if (agent != null) {
                agent.close();
            }
            if (process != null) {
                process.stop(Duration.ofSeconds(10));
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp directory left behind is harmless
            }
        }
    }
}
