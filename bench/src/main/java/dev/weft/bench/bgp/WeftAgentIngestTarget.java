package dev.weft.bench.bgp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.status.StatusJson;
import dev.weft.testkit.BackgroundProcess;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.Underlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Weft BGP agent as an operator runs it: {@code ip netns exec NODE dist/bin/weft-bgp --config
 * FILE}, passive towards each announcer, FIB install on (proto weft-bgp, 88), status socket on.
 * Its first Established time and keepalive punctuality come from its own status endpoint
 * ({@code /bgp/peers}: {@code sinceMillis}, wall clock in ms, taken at the FSM transition, the
 * same precision as BIRD's {@code timeformat protocol "%s.%3f"}; its log has no finer stamp).
 *
 * <p>Hold time 3 s, so keepalives are due every second and a 100,000-route run sees several: one
 * sent more than a third of the interval late counts as late (weft_bgp_keepalive_late_total).
 */
final class WeftAgentIngestTarget implements IngestTarget {
    private static final int RTPROT_WEFT_BGP = 88;
    private static final int HOLD_SECONDS = 3;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path launcher;
    private Path dir;
    private Path socket;
    private String address;
    private Underlay.Node node;
    private BackgroundProcess process;

    WeftAgentIngestTarget(String name) {
        this.name = name;
        this.launcher = launcher();
    }

    /** dist/bin/weft-bgp of the tree the bench runs from (bench/run-java passes it as weft.home). */
    private static Path launcher() {
        String home = System.getProperty("weft.home");
        if (home == null) {
            throw new IllegalStateException("no -Dweft.home (run it through bench/bgp-ingest)");
        }
        Path p = Path.of(home, "dist", "bin", "weft-bgp");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + " is missing: build it with `mvn -pl bgp-agent -am package`");
        }
        return p;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(Underlay.Node node, long as, List<String> announcers) {
        this.node = node;
        this.address = node.address();
        try {
            dir = Files.createTempDirectory("wt-ingest-");
            socket = dir.resolve("bgp.sock");
            List<AgentConfig.Peer> peers = new ArrayList<>();
            for (String a : announcers) {
                // passive, as the BIRD target: the announcer connects, no collision blurs the start
                peers.add(AgentConfig.Peer.of(a, as).withPassive(true).withTimers(HOLD_SECONDS, 1));
            }
            AgentConfig cfg = AgentConfig.of(node.address(), as)
                    .withGracefulRestart(AgentConfig.GracefulRestart.of(false, 120, 120))
                    .withFib(new AgentConfig.Fib(254, null, true))
                    .withPeers(peers)
                    .withStatus(new AgentConfig.Status(null, null, socket.toString()));
            Path file = dir.resolve("weft-bgp.json");
            Files.write(file, StatusJson.MAPPER.writeValueAsBytes(cfg));
            process = Cmd.of(launcher.toString(), "--config", file.toString()).netns(node.netns())
                    .start(dir.resolve("weft-bgp.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitListening();
    }

    /** Ready = listening on 179 with its status socket answering: the JVM has started. */
    private void awaitListening() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("weft-bgp exited at start:\n" + process.logTail(4000));
            }
            if (node.tryExec("ss", "-Htln", "sport = :179").stdout().contains("LISTEN") && Files.exists(socket)
                    && peers() != null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("weft-bgp not ready after " + START_TIMEOUT + ":\n" + process.logTail(4000));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** GET /bgp/peers on the status socket (curl: the bench has no HTTP client of its own); null if it does not answer. */
    private JsonNode peers() {
        Cmd.Result r = Cmd.tryRun("curl", "-sf", "--max-time", "5", "--unix-socket", socket.toString(), "http://weft/bgp/peers");
        if (!r.ok()) {
            return null;
        }
        try {
            return StatusJson.MAPPER.readTree(r.stdout()).path("peers");
        } catch (IOException e) {
            throw new IllegalStateException("bad /bgp/peers answer: " + e.getMessage(), e);
        }
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public int kernelProtocol() {
        return RTPROT_WEFT_BGP;
    }

    @Override
    public List<Instant> establishedTimes() {
        List<Instant> times = new ArrayList<>();
        for (JsonNode p : required()) {
            if (!"ESTABLISHED".equalsIgnoreCase(p.path("state").asText())) {
                throw new IllegalStateException("target session not Established: " + p);
            }
            times.add(Instant.ofEpochMilli(p.path("sinceMillis").asLong()));
        }
        return times;
    }

    @Override
    public String lateKeepalives() {
        long late = 0;
        long sent = 0;
        double max = 0;
        for (JsonNode p : required()) {
            JsonNode k = p.path("keepalives");
            late += k.path("late").asLong();
            sent += k.path("sent").asLong();
            max = Math.max(max, k.path("maxLatenessSeconds").asDouble());
        }
        return String.format("%d of %d (max %.0f ms)", late, sent, max * 1000);
    }

    private JsonNode required() {
        JsonNode peers = peers();
        if (peers == null || !peers.isArray() || peers.isEmpty()) {
            throw new IllegalStateException("weft-bgp status socket gave no peers:\n" + process.logTail(4000));
        }
        return peers;
    }

    @Override
    public void close() {
        if (process != null) {
            if (System.getenv("WEFT_BGP_BENCH_SIGTERM") != null) {
                // for a profile: a JFR recording with dumponexit=true is written only on a clean exit
                process.stop(java.time.Duration.ofSeconds(20));
            }
            // SIGKILL, as for BIRD: the namespace takes the routes with it afterwards
            process.kill();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                System.err.println("bench: cannot remove " + dir + ": " + e.getMessage());
            }
        }
    }
}
