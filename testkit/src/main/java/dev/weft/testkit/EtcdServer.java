package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A real single-member etcd (Debian {@code etcd-server}, {@code /usr/bin/etcd}) on free ports, with its
 * data dir and log in a temp directory. Optionally runs inside a network namespace, listening on an
 * address of that namespace (e.g. an {@link Underlay.Node}'s eth0 address).
 *
 * <pre>{@code
 * try (EtcdServer etcd = EtcdServer.launch()) {
 *     etcd.put("/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\"}");
 *     String endpoint = etcd.endpoint();          // http://127.0.0.1:PORT
 *     etcd.stop();  ...outage...  etcd.start();   // same data dir and ports
 * }
 * }</pre>
 */
public final class EtcdServer implements AutoCloseable {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(15);
    /** etcd 3.4/3.5 log this (zap) once a client listener of this process serves. */
    private static final String READY_MARKER = "serving client";

    private final String netns;
    private final String host;
    private final int clientPort;
    private final int peerPort;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private final List<String> argv;
    private final Duration startTimeout;
    private final String etcdctlBinary;
    private BackgroundProcess process;
    private boolean closed;

    private EtcdServer(Builder b) {
        this.netns = b.netns;
        this.host = b.listenAddress != null ? b.listenAddress : "127.0.0.1";
        this.startTimeout = b.startTimeout;
        String etcd = Tools.which(b.etcdBinary);
        this.etcdctlBinary = Tools.which(b.etcdctlBinary);
        if (netns != null) {
            Tools.requireKernelTestPrerequisites();
        }
        int[] ports = b.clientPort > 0 ? new int[] {b.clientPort, b.peerPort} : freePorts();
        this.clientPort = ports[0];
        this.peerPort = ports[1];
        try {
            this.baseDir = Files.createTempDirectory("wt-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create etcd temp dir", e);
        }
        Cleanup.tempDirCreated(baseDir);
        this.dataDir = baseDir.resolve("data");
        this.logFile = baseDir.resolve("etcd.log");
        String name = "wt-etcd";
        String clientUrl = url(clientPort);
        String peerUrl = url(peerPort);
        List<String> a = new ArrayList<>(List.of(etcd,
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", name + "=" + peerUrl,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "wt-" + Names.random(8),
                "--logger", "zap"));
        a.addAll(b.extraArgs);
        this.argv = List.copyOf(a);
    }

    /** An etcd on 127.0.0.1 in the root namespace, started and healthy. */
    public static EtcdServer launch() {
        return builder().launch();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String netns;
        private String listenAddress;
        private int clientPort;
        private int peerPort;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private String etcdBinary = "/usr/bin/etcd";
        private String etcdctlBinary = "/usr/bin/etcdctl";
        private final List<String> extraArgs = new ArrayList<>();

        private Builder() {}

        /** Run inside this namespace (then also set {@link #listenAddress} to an address that exists there). */
        public Builder netns(String netns) {
            this.netns = netns;
            return this;
        }

        /** Run inside an underlay node, listening on its eth0 address. */
        public Builder on(Underlay.Node node) {
            this.netns = node.netns();
            this.listenAddress = node.address();
            return this;
        }

        /** Address to listen on (default 127.0.0.1). */
        public Builder listenAddress(String address) {
            this.listenAddress = address;
            return this;
        }

        /** Fixed ports instead of picking free ones. */
        public Builder ports(int client, int peer) {
            this.clientPort = client;
            this.peerPort = peer;
            return this;
        }

        public Builder startTimeout(Duration t) {
            this.startTimeout = t;
            return this;
        }

        public Builder etcdBinary(String path) {
            this.etcdBinary = path;
            return this;
        }

        public Builder etcdctlBinary(String path) {
            this.etcdctlBinary = path;
            return this;
        }

        /** Extra etcd flags, e.g. "--auto-compaction-retention=1". */
        public Builder extraArgs(String... args) {
            this.extraArgs.addAll(List.of(args));
            return this;
        }

        /** Creates the server and starts it, waiting until it is healthy. */
        public EtcdServer launch() {
            EtcdServer s = new EtcdServer(this);
            try {
                s.start();
            } catch (RuntimeException e) {
                try {
                    s.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return s;
        }
    }

    private String url(int port) {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port;
    }

    private static int[] freePorts() {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new int[] {a.getLocalPort(), b.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pick free ports", e);
        }
    }

    /** Client URL, e.g. {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return url(clientPort);
    }

    public String peerUrl() {
        return url(peerPort);
    }

    public int clientPort() {
        return clientPort;
    }

    public int peerPort() {
        return peerPort;
    }

    /** Namespace it runs in, or null for the root namespace. */
    public String netns() {
        return netns;
    }

    public Path baseDir() {
        return baseDir;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** PID of the running etcd. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("etcd not running");
        }
        return process.pid();
    }

    /** The process handle of the current (or last) etcd process. */
    public synchronized Optional<Process> process() {
        return Optional.ofNullable(process).map(BackgroundProcess::process);
    }

    /** Last part of etcd's log. */
    public String logTail(int maxChars) {
        return Files.exists(logFile) ? BackgroundProcess.tail(logFile, maxChars) : "<no log>";
    }

    /**
     * Starts (or restarts, after {@link #stop()}) etcd with the same data dir and ports, and waits
     * until {@code etcdctl endpoint health} succeeds.
     */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("etcd server closed");
        }
        if (isRunning()) {
            throw new IllegalStateException("etcd already running (pid " + process.pid() + ")");
        }
        long logOffset = logSize();
        process = Cmd.of(argv).netns(netns).unsetEnvPrefix("ETCD").start(logFile, this);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Cmd.Result last = null;
        while (true) {
            if (!process.isAlive()) {
                int code = process.process().exitValue();
                process = null;
                throw new IllegalStateException("etcd exited with code " + code + " while starting ("
                        + endpoint() + ")\n--- etcd log tail (" + logFile + ") ---\n" + logTail(3000));
            }
            // Health alone could be answered by some other server on the same port; our own log must
            // also say that THIS process serves clients (it only gets there after binding its listeners).
            if (logSince(logOffset).contains(READY_MARKER)) {
                last = etcdctlCall(Duration.ofSeconds(5), "--dial-timeout=1s", "--command-timeout=1s",
                        "endpoint", "health");
                if (last.ok() && process.isAlive()) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                BackgroundProcess p = process;
                process = null;
                p.kill();
                throw new IllegalStateException("etcd at " + endpoint() + " not healthy after "
                        + startTimeout.toSeconds() + " s; last health check: "
                        + (last == null ? "<never got to serve clients>" : last.stderr().strip())
                        + "\n--- etcd log tail (" + logFile + ") ---\n" + logTail(3000));
            }
            sleep(100);
        }
    }

    private long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        long size = logSize();
        if (size <= offset) {
            return "";
        }
        return BackgroundProcess.tail(logFile, (int) Math.min(Integer.MAX_VALUE, size - offset));
    }

    /** Graceful stop (SIGTERM, SIGKILL after 10 s); data dir and ports are kept for {@link #start()}. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(10));
            process = null;
        }
    }

    /** Hard stop (SIGKILL), e.g. to simulate a crash. */
    public synchronized void kill() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    /**
     * Runs {@code etcdctl --endpoints=<endpoint> args...} (API v3, in the server's namespace) and returns
     * its stdout; throws {@link CmdException} on failure. Short dial/command timeouts (2 s / 5 s) are
     * prepended, so a call against a stopped server fails fast; later flags override them.
     */
    public String etcdctl(String... args) {
        return tryEtcdctl(args).orThrow().stdout();
    }

    /** Like {@link #etcdctl} but returns the result whatever the exit code. */
    public Cmd.Result tryEtcdctl(String... args) {
        List<String> a = new ArrayList<>(List.of("--dial-timeout=2s", "--command-timeout=5s"));
        a.addAll(List.of(args));
        return etcdctlCall(Duration.ofSeconds(20), a.toArray(new String[0]));
    }

    private Cmd.Result etcdctlCall(Duration timeout, String... args) {
        List<String> a = new ArrayList<>(List.of(etcdctlBinary, "--endpoints=" + endpoint()));
        a.addAll(List.of(args));
        return Cmd.of(a).netns(netns).unsetEnvPrefix("ETCDCTL").env("ETCDCTL_API", "3").timeout(timeout).tryRun();
    }

    /** {@code etcdctl put key value}. */
    public void put(String key, String value) {
        etcdctl("put", "--", key, value);
    }

    /** {@code etcdctl get --print-value-only key}; empty if the key does not exist. */
    public Optional<String> get(String key) {
        String out = etcdctl("get", "-w", "json", "--", key);
        JsonNode kvs;
        try {
            kvs = KernelState.MAPPER.readTree(out).path("kvs");
        } catch (IOException e) {
            throw new IllegalStateException("unparseable etcdctl output: " + out, e);
        }
        if (!kvs.isArray() || kvs.isEmpty()) {
            return Optional.empty();
        }
        // etcdctl's JSON output carries keys and values base64-encoded
        byte[] v = Base64.getDecoder().decode(kvs.get(0).path("value").asText(""));
        return Optional.of(new String(v, StandardCharsets.UTF_8));
    }

    /** Stops etcd (by its own process handle) and deletes the temp dir (data + log). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            try {
                Cleanup.deleteTree(baseDir);
                Cleanup.tempDirRemoved(baseDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete etcd dir " + baseDir, e);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "EtcdServer[" + endpoint() + (netns != null ? " in " + netns : "") + (isRunning() ? "" : " (stopped)") + "]";
    }
}
