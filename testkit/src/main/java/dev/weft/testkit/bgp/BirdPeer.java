package dev.weft.testkit.bgp;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.RouteInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A BIRD 2 daemon in a namespace, run in the foreground from a {@link BirdConfig}, with its config,
 * control socket, pid file and log in a private temp directory. See the package documentation
 * for an example.
 */
public final class BirdPeer implements AutoCloseable {
    /** {@code proto bird} in the kernel table: what BIRD's kernel protocol writes. */
    public static final String KERNEL_PROTOCOL = "bird";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration BIRDC_TIMEOUT = Duration.ofSeconds(20);

    private final BirdConfig config;
    private final Path conf;
    private final Path socket;
    private final Daemon daemon;

    private BirdPeer(BirdConfig config, Path conf, Path socket, Daemon daemon) {
        this.config = config;
        this.conf = conf;
        this.socket = socket;
        this.daemon = daemon;
    }

    /**
     * Writes and checks ({@code bird -p}) the config, starts {@code bird -f} inside {@code netns} and
     * waits until its control socket answers. The config belongs to the peer from now on.
     */
    public static BirdPeer start(String netns, BirdConfig config) {
        return start(netns, config, false);
    }

    /**
     * As {@link #start}, with {@code -R}: BIRD starts in graceful-restart recovery, as after its own
     * crash (Restart State bit to its GR peers, kernel sync deferred, see
     * {@link BirdConfig#kernelGracefulRestart}).
     */
    public static BirdPeer startRecovering(String netns, BirdConfig config) {
        return start(netns, config, true);
    }

    private static BirdPeer start(String netns, BirdConfig config, boolean recovering) {
        Path dir = Daemon.tempDir("bird");
        Path conf = dir.resolve("bird.conf");
        Path socket = dir.resolve("bird.ctl");
        Daemon d = null;
        try {
            writeChecked(conf, config);
            List<String> argv = new java.util.ArrayList<>(List.of("bird", "-f", "-c", conf.toString(),
                    "-s", socket.toString(), "-P", dir.resolve("bird.pid").toString()));
            if (recovering) {
                argv.add("-R");
            }
            d = Daemon.start(netns, dir, argv);
            BirdPeer peer = new BirdPeer(config, conf, socket, d);
            peer.awaitControlSocket();
            return peer;
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            } else {
                Daemon.deleteDir(dir);
            }
            throw e;
        }
    }

    private static void writeChecked(Path conf, BirdConfig config) {
        try {
            Files.writeString(conf, config.render());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Cmd.run(BIRDC_TIMEOUT, "bird", "-p", "-c", conf.toString());
    }

    private void awaitControlSocket() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("bird exited at start:\n" + daemon.logTail());
            }
            if (Files.exists(socket) && birdc("show", "status").ok()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("bird's control socket did not answer within " + START_TIMEOUT
                        + ":\n" + daemon.logTail());
            }
            Daemon.sleep(50);
        }
    }

    public BirdConfig config() {
        return config;
    }

    public String netns() {
        return daemon.netns();
    }

    public long pid() {
        return daemon.pid();
    }

    public Path controlSocket() {
        return socket;
    }

    public String logTail() {
        return daemon.logTail();
    }

    /** {@code birdc -s <socket> args...}, whatever the outcome (birdc reports most errors with exit 0). */
    public Cmd.Result birdc(String... args) {
        String[] argv = new String[args.length + 3];
        argv[0] = "birdc";
        argv[1] = "-s";
        argv[2] = socket.toString();
        System.arraycopy(args, 0, argv, 3, args.length);
        return Cmd.tryRun(BIRDC_TIMEOUT, argv);
    }

    /** Every protocol with its state, from {@code birdc show protocols}. */
    public List<BirdProtocol> protocols() {
        return BirdProtocol.parse(birdc("show", "protocols").orThrow().stdout());
    }

    public BirdProtocol protocol(String name) {
        for (BirdProtocol p : protocols()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("bird has no protocol " + name + ": " + protocols());
    }

    /**
     * Waits until the session to this neighbour (its protocol name) is Established, and returns the
     * time BIRD says it got there.
     */
    public Instant waitEstablished(String neighbour, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        BirdProtocol p;
        while (!(p = protocol(neighbour)).established()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("session " + neighbour + " not Established within " + timeout
                        + ", last: " + p + "\n" + logTail());
            }
            if (!daemon.isAlive()) {
                throw new IllegalStateException("bird exited:\n" + logTail());
            }
            Daemon.sleep(50);
        }
        return p.since() != null ? p.since() : Instant.now();
    }

    /**
     * The routes BIRD's kernel protocol put into the namespace's main table ({@code proto bird}),
     * read with {@code ip -j route}: what BIRD really programmed, not what it believes.
     *
     * @param family 4 or 6
     */
    public List<RouteInfo> routes(int family) {
        return KernelState.routes(netns(), family).stream().filter(r -> KERNEL_PROTOCOL.equals(r.protocol())).toList();
    }

    /** {@code birdc restart <proto>}: a BGP session goes down with Cease and comes back. */
    public void restart(String proto) {
        control(proto, "restarted", "restart", proto);
    }

    public void disable(String proto) {
        control(proto, "disabled", "disable", proto);
    }

    public void enable(String proto) {
        control(proto, "enabled", "enable", proto);
    }

    private void control(String proto, String expected, String... cmd) {
        String out = birdc(cmd).orThrow().stdout();
        if (!out.contains(proto + ": " + expected) && !out.contains(proto + ": already " + expected)) {
            throw new IllegalStateException("birdc " + String.join(" ", cmd) + ": " + out.strip());
        }
    }

    /** Rewrites the config file from {@link #config()}, checks it, and makes BIRD reload it. */
    public void configure() {
        writeChecked(conf, config);
        String out = birdc("configure").orThrow().stdout();
        if (!out.contains("Reconfigured") && !out.contains("Reconfiguration in progress")) {
            throw new IllegalStateException("birdc configure: " + out.strip() + "\n" + logTail());
        }
    }

    /** Announces one more blackhole route (default static group) by reconfiguring. */
    public void addStatic(String prefix) {
        config.staticRoute(prefix);
        configure();
    }

    /** Withdraws a static route by reconfiguring. */
    public void removeStatic(String prefix) {
        if (!config.removeStatic(prefix)) {
            throw new IllegalArgumentException("no static route " + prefix);
        }
        configure();
    }

    /** SIGTERM (BIRD closes its sessions with Cease and flushes its kernel routes), SIGKILL after 5 s. */
    public void stop() {
        daemon.stop();
    }

    /** SIGKILL: sessions drop without NOTIFICATION, kernel routes stay behind. */
    public void kill9() {
        daemon.kill9();
    }

    public boolean isAlive() {
        return daemon.isAlive();
    }

    /** Stops BIRD if running and removes its temp directory. */
    @Override
    public void close() {
        daemon.close();
    }

    @Override
    public String toString() {
        return "BirdPeer[pid " + pid() + " in " + netns() + ", router id " + config.routerId() + "]";
    }
}
