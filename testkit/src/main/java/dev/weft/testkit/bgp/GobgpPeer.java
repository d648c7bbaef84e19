package dev.weft.testkit.bgp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.Cmd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A gobgpd in a namespace, configured from a {@link GobgpConfig}, driven and read through the
 * {@code gobgp} CLI's JSON output. GoBGP keeps a RIB but never touches the kernel: use it as a
 * RIB oracle and a route injector. See the package documentation for an example.
 */
public final class GobgpPeer implements AutoCloseable {
    /** The gRPC API port on the namespace's loopback (every peer has its own namespace). */
    public static final int DEFAULT_API_PORT = 50051;
    /** Session states as GoBGP's API numbers them (PeerState.SessionState). */
    private static final List<String> STATES =
            List.of("UNKNOWN", "IDLE", "CONNECT", "ACTIVE", "OPENSENT", "OPENCONFIRM", "ESTABLISHED");
    private static final int MAX_JSON = 64 << 20;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One path of a RIB: prefix, next hop, whether GoBGP chose it best, and the raw JSON. */
    public record RibPath(String prefix, String nexthop, boolean best, JsonNode raw) {
    }

    private final GobgpConfig config;
    private final int apiPort;
    private final Daemon daemon;

    private GobgpPeer(GobgpConfig config, int apiPort, Daemon daemon) {
        this.config = config;
        this.apiPort = apiPort;
        this.daemon = daemon;
    }

    public static GobgpPeer start(String netns, GobgpConfig config) {
        return start(netns, config, DEFAULT_API_PORT);
    }

    /** Writes the TOML, starts {@code gobgpd} in {@code netns} and waits until its API answers. */
    public static GobgpPeer start(String netns, GobgpConfig config, int apiPort) {
        Path dir = Daemon.tempDir("gobgp");
        Path toml = dir.resolve("gobgpd.toml");
        Daemon d = null;
        try {
            Files.writeString(toml, config.render());
            d = Daemon.start(netns, dir, List.of("gobgpd", "-f", toml.toString(), "-t", "toml",
                    "--api-hosts", "127.0.0.1:" + apiPort));
            GobgpPeer peer = new GobgpPeer(config, apiPort, d);
            peer.awaitApi();
            return peer;
        } catch (IOException e) {
            Daemon.deleteDir(dir);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (d != null) {
                d.close();
            } else {
                Daemon.deleteDir(dir);
            }
            throw e;
        }
    }

    private void awaitApi() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!gobgp("global").ok()) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("gobgpd exited at start:\n" + daemon.logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gobgpd's API did not answer within " + START_TIMEOUT + ":\n" + daemon.logTail());
            }
            Daemon.sleep(100);
        }
    }

    public GobgpConfig config() {
        return config;
    }

    public String netns() {
        return daemon.netns();
    }

    public long pid() {
        return daemon.pid();
    }

    public String logTail() {
        return daemon.logTail();
    }

    /** {@code gobgp -p <port> args...} inside the namespace, whatever the outcome. */
    public Cmd.Result gobgp(String... args) {
        List<String> argv = new ArrayList<>(args.length + 5);
        argv.addAll(List.of("gobgp", "-u", "127.0.0.1", "-p", Integer.toString(apiPort)));
        argv.addAll(List.of(args));
        return Cmd.of(argv).netns(netns()).timeout(Duration.ofSeconds(20)).tryRun();
    }

    private JsonNode json(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("-j");
        String out = gobgp(a.toArray(new String[0])).orThrow().stdout();
        if (out.length() > MAX_JSON) {
            throw new IllegalStateException("gobgp printed " + out.length() + " chars");
        }
        if (out.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new IllegalStateException("gobgp " + String.join(" ", args) + ": not JSON: "
                    + out.substring(0, Math.min(300, out.length())), e);
        }
    }

    /** Announces a route; {@code attrs} are gobgp's words, e.g. {@code "community", "64512:100", "local-pref", "200"}. */
    public void addRoute(String prefix, String nexthop, String... attrs) {
        ribCommand("add", prefix, nexthop, attrs);
    }

    public void delRoute(String prefix) {
        ribCommand("del", prefix, null);
    }

    private void ribCommand(String verb, String prefix, String nexthop, String... attrs) {
        List<String> a = new ArrayList<>(List.of("global", "rib", "-a", family(prefix), verb, prefix));
        if (nexthop != null) {
            a.add("nexthop");
            a.add(nexthop);
        }
        a.addAll(List.of(attrs));
        gobgp(a.toArray(new String[0])).orThrow();
    }

    private static String family(String prefixOrAddress) {
        return BirdConfig.isV6(prefixOrAddress) ? "ipv6" : "ipv4";
    }

    private static String family(int f) {
        if (f != 4 && f != 6) {
            throw new IllegalArgumentException("family 4 or 6: " + f);
        }
        return "ipv" + f;
    }

    /** The session state, upper case as in RFC 4271 (IDLE ... ESTABLISHED), or UNKNOWN. */
    public String neighborState(String address) {
        JsonNode st = json("neighbor", address).path("state").path("session_state");
        if (st.isNumber()) {
            int i = st.asInt();
            return i >= 0 && i < STATES.size() ? STATES.get(i) : "UNKNOWN";
        }
        return st.isMissingNode() || st.isNull() ? "UNKNOWN" : st.asText().toUpperCase(java.util.Locale.ROOT);
    }

    public void waitEstablished(String address, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String s;
        while (!"ESTABLISHED".equals(s = neighborState(address))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gobgp session to " + address + " not Established within " + timeout
                        + " (state " + s + ")\n" + logTail());
            }
            Daemon.sleep(100);
        }
    }

    /** The Loc-RIB of one family (4 or 6). */
    public List<RibPath> rib(int family) {
        return paths(json("global", "rib", "-a", family(family)));
    }

    /** What this neighbour sent us (Adj-RIB-In), one family. */
    public List<RibPath> adjIn(String neighbour, int family) {
        return paths(json("neighbor", neighbour, "adj-in", "-a", family(family)));
    }

    /** {@code gobgp neighbor <addr> reset}: NOTIFICATION Cease, the session comes back by itself. */
    public void reset(String neighbour) {
        gobgp("neighbor", neighbour, "reset").orThrow();
    }

    /** gobgp prints a RIB as {prefix: [path...]}; each path has its attributes as a typed list. */
    static List<RibPath> paths(JsonNode rib) {
        List<RibPath> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = rib.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            for (JsonNode p : e.getValue()) {
                out.add(new RibPath(e.getKey(), nexthop(p), p.path("best").asBoolean(false), p));
            }
        }
        return out;
    }

    private static String nexthop(JsonNode path) {
        for (JsonNode a : path.path("attrs")) {
            int type = a.path("type").asInt();
            if (type == 3 || type == 14) {   // NEXT_HOP, MP_REACH_NLRI
                JsonNode nh = a.has("nexthop") ? a.get("nexthop") : a.path("value").path("nexthop");
                if (!nh.isMissingNode()) {
                    return nh.asText();
                }
            }
        }
        return null;
    }

    public void stop() {
        daemon.stop();
    }

    public void kill9() {
        daemon.kill9();
    }

    public boolean isAlive() {
        return daemon.isAlive();
    }

    @Override
    public void close() {
        daemon.close();
    }

    @Override
    public String toString() {
        return "GobgpPeer[pid " + pid() + " in " + netns() + ", router id " + config.routerId() + "]";
    }
}
