package dev.weft.cni.thick;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.blockipam.BlockIpamPlugin;
import dev.weft.cni.invoke.InProcess;
import dev.weft.cni.routed.RoutedPlugin;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.PluginRunner;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.ipam.socket.IpamTransport;
import dev.weft.json.JsonTree;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * weftd's side of the thick plugin: runs a shim's CNI invocation ({@link ThickWire}) with the same
 * plugin code, in weftd's process, and answers the exact stdout and exit code. It serves only what
 * it can run exactly as the plugin process would, and declines the rest (the shim then runs the
 * plugin itself): weft-routed with weft-ipam on this weftd's own socket, a caller in the network
 * namespace weftd serves, and a CNI_NETNS that is the same namespace for weftd as for the caller
 * (weftd in a container resolves paths in another mount namespace).
 *
 * <p>Namespace work happens as the plugin does it, on threads that exist for one task
 * ({@link NetNs#run}), so no weftd thread is ever left in a pod's namespace, whatever fails. At most
 * {@link #PARALLEL} invocations run at once; the next is declined at once rather than queued, so a
 * stuck namespace can hold only those, never the socket's other requests.
 *
 * <p>A runtime kills a plugin that takes too long and then sends DEL. So an invocation for a
 * container waits for the one weftd is running for it ({@link ContainerTurns}: the DEL acts after
 * the ADD, never before), and an ADD that succeeds after its shim is gone, or after
 * {@link #DEADLINE}, is taken back with the plugin's own DEL ({@link #abandoned}): an ADD the
 * runtime did not get leaves no veth, route or address behind.
 */
public final class ThickService implements AutoCloseable {
    /** Invocations in weftd at once (the socket has more threads: IPAM requests keep being served). */
    public static final int PARALLEL = 4;
    private static final int MAX_ENV = 32;
    private static final int MAX_ENV_CHARS = 8192;
    private static final int MAX_ID_CHARS = 64;
    /** stderr sent back is cut here (a stack trace at most); stdout, the protocol, never is. */
    private static final int MAX_STDERR = 8 * 1024;
    /**
     * How long an invocation may take in weftd, its wait for the container's turn included: below
     * the shim's answer timeout, so a success weftd still sends is one the shim still reads. A
     * successful ADD that ends later is undone and answered code 11.
     */
    public static final java.time.Duration DEADLINE = Shim.ANSWER_TIMEOUT.minusSeconds(10);
    /** Invocations that may wait for their container's turn at once (each holds a socket thread). */
    static final int MAX_WAITING = 2;

    private final Path socket;
    private final NetNs serving; // null: weftd's own namespace, the calling thread's
    private final IpamTransport ipam;
    private final Semaphore slots = new Semaphore(PARALLEL);
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong declined = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final ContainerTurns turns = new ContainerTurns(MAX_WAITING);
    private final boolean canEnter = canEnterNamespaces();
    private final java.time.Duration deadline;
    /** weftd's log (warnings): this module has no logging framework, the shim must not load one. */
    private final Consumer<String> log;
    /** Test seam, null in weftd: runs just before the plugin, on the invocation's thread, with its CNI env. */
    private volatile Consumer<Map<String, String>> beforeRun;

    /**
     * @param socket     the CNI socket this weftd serves (a weft-ipam config must name it, or default to it)
     * @param servingNetns the node's namespace when weftd's threads are not in it (tests, benchmarks), else null
     * @param ipam       weftd's block IPAM, called directly
     * @param deadline   {@link #DEADLINE} but in tests
     * @param log        where weftd logs an undone ADD
     */
    public ThickService(Path socket, String servingNetns, IpamTransport ipam, java.time.Duration deadline, Consumer<String> log) {
        this.socket = socket;
        this.serving = servingNetns == null ? null : NetNs.open(servingNetns);
        this.ipam = ipam;
        this.deadline = deadline;
        this.log = log;
    }

    /**
     * The file beside the socket that tells shims this weftd serves them ({@code <socket>.thick}):
     * a shim that finds none runs the plugin at once, without the socket round trip (an older
     * weftd, or one without CAP_SYS_ADMIN).
     */
    public static Path marker(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".thick");
    }

    /**
     * Writes the marker once the socket serves, when this process can enter the pods' namespaces
     * at all (setns needs CAP_SYS_ADMIN, which a container given only NET_ADMIN and NET_RAW lacks).
     * Returns whether it did; if not, every request is declined anyway.
     */
    public boolean advertise() throws IOException {
        if (!canEnterNamespaces()) {
            // a marker a killed weftd with the capability left would cost every shim a declined round trip
            java.nio.file.Files.deleteIfExists(marker(socket));
            return false;
        }
        java.nio.file.Files.writeString(marker(socket), ThickWire.VERSION + "\n");
        return true;
    }

    /** Whether CAP_SYS_ADMIN (bit 21) is in this process's effective capabilities. */
    static boolean canEnterNamespaces() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 21)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** Invocations weftd ran for a shim, and those it declined (the shim ran them itself). */
    public long served() {
        return served.get();
    }

    public long declined() {
        return declined.get();
    }

    /** Successful ADDs weftd undid because nobody received them (shim gone, deadline passed), and those not run for that. */
    public long abandoned() {
        return abandoned.get();
    }

    /** Invocations waiting now for an earlier one of the same container. */
    public int waiting() {
        return turns.waiting();
    }

    /** Test only: {@code hook} runs right before the plugin does, with the invocation's CNI env (to hold an ADD in weftd). */
    public void beforeRunForTest(Consumer<Map<String, String>> hook) {
        beforeRun = hook;
    }

    /** The answer for a request that weftd does not serve at all now (it is stopping). */
    public byte[] decline(String why) {
        declined.incrementAndGet();
        return ThickWire.encode(ThickWire.Answer.declined(why));
    }

    /**
     * The answer for {@code req} once weftd is stopping: a decline (the shim runs the plugin
     * itself), unless an invocation of the same container still runs or waits here. A DEL the shim
     * ran itself then would act before that ADD ends and leave what the ADD makes; code 11 has the
     * runtime ask again, of the next weftd.
     */
    public byte[] refuseWhileStopping(JsonNode req, String why) {
        String id;
        try {
            id = Invocation.parse(req).env().getOrDefault("CNI_CONTAINERID", "");
        } catch (IpamException e) {
            id = "";
        }
        if (!id.isEmpty() && turns.busy(id)) {
            return ThickWire.encode(tryAgain(why + "; an earlier invocation for container "
                    + id + " is still running here: try again later"));
        }
        return decline(why);
    }

    /**
     * Serves one request (a frame's JSON object, bounded by the socket), answering through
     * {@code caller}; a malformed one gets an error. An invocation for a container waits for the one
     * running for the same container ({@link ContainerTurns}) and then takes a slot.
     */
    public void serve(JsonNode req, Caller caller) {
        long deadline = System.nanoTime() + this.deadline.toNanos();
        Invocation inv;
        try {
            inv = Invocation.parse(req);
        } catch (IpamException e) {
            caller.answer(IpamResponse.error(e).encode());
            return;
        }
        String why = whyNot(inv);
        if (why != null) {
            caller.answer(decline(why));
            return;
        }
        String id = inv.env().getOrDefault("CNI_CONTAINERID", "");
        ContainerTurns.Held turn = turnOf(id, deadline);
        if (turn == null) {
            // never a decline: the shim would run it beside the invocation still running here
            caller.answer(ThickWire.encode(tryAgain(
                    "an earlier invocation for container " + id + " is still running in weftd; try again later")));
            return;
        }
        try (turn) {
            // behind its container's turn, so a DEL the shim then runs itself comes after what ran here
            if (!slots.tryAcquire()) {
                caller.answer(decline("weftd is busy (" + PARALLEL + " invocations running)"));
                return;
            }
            try {
                runFor(caller, inv, deadline);
            } finally {
                slots.release();
            }
        }
    }

    /** {@code id}'s turn, or null when it did not come by the deadline (or weftd is stopping). */
    private ContainerTurns.Held turnOf(String id, long deadline) {
        try {
            return turns.await(id, deadline - System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Runs {@code inv} and answers it. A successful ADD is kept only when its answer reaches a caller
     * in time: one whose shim is gone (killed by the runtime, or given up) or that ends after the
     * deadline is taken back by the plugin's own DEL, as the runtime would have done had it known
     * the ADD succeeded; an ADD whose shim is gone before it begins is not run at all.
     */
    private void runFor(Caller caller, Invocation inv, long deadline) {
        boolean add = "ADD".equals(inv.env().get("CNI_COMMAND"));
        if (add && caller.gone()) {
            abandoned.incrementAndGet();
            log.accept("thick ADD of container " + containerOf(inv) + " not run: its caller was gone before its turn came");
            return;
        }
        if (add && System.nanoTime() - deadline > 0) {
            // its turn came after the deadline: it would only be undone once it ended
            caller.answer(ThickWire.encode(tryAgain("the ADD waited in weftd past its deadline of "
                    + seconds(this.deadline) + " behind an earlier invocation of its container; try again")));
            return;
        }
        Consumer<Map<String, String>> hook = beforeRun;
        if (hook != null) {
            hook.accept(inv.env());
        }
        ThickWire.Answer a;
        boolean midway = false;
        try {
            a = run(inv);
        } catch (RuntimeException e) {
            a = failedMidway(e);
            midway = true;
        }
        served.incrementAndGet();
        if (!add || (a.exit() != 0 && !midway)) {
            // a failed ADD has unwound what it made (the plugin's UndoStack); a late answer to it is harmless
            caller.answer(ThickWire.encode(a));
            return;
        }
        if (System.nanoTime() - deadline > 0) {
            undo(inv, "it ended after weftd's deadline of " + seconds(this.deadline));
            caller.answer(ThickWire.encode(tryAgain("weftd took longer than "
                    + seconds(this.deadline) + " to run the ADD and has undone it; try again")));
        } else if (caller.gone() || !caller.answer(ThickWire.encode(a))) {
            undo(inv, "its caller was gone when it ended (killed by the runtime, or timed out)");
        }
    }

    /** The plugin's DEL for an ADD nobody received: the same env and config, in weftd; counted and logged. */
    private void undo(Invocation add, String why) {
        Map<String, String> env = new TreeMap<>(add.env());
        env.put("CNI_COMMAND", "DEL");
        ThickWire.Answer del;
        try {
            del = run(add.withEnv(env));
        } catch (RuntimeException e) {
            del = failedMidway(e);
        }
        abandoned.incrementAndGet(); // once the DEL is done: whoever reads it may count on the node being clean
        log.accept("thick ADD of container " + containerOf(add) + " undone, " + why + ": its DEL "
                + (del.exit() == 0 ? "released the address and removed the link"
                : "failed (exit " + del.exit() + "): " + new String(del.stdout(), StandardCharsets.UTF_8).strip()));
    }

    private static String seconds(java.time.Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    private static String containerOf(Invocation inv) {
        return inv.env().getOrDefault("CNI_CONTAINERID", "") + " (" + inv.env().getOrDefault("CNI_IFNAME", "") + ")";
    }

    /** Served, with CNI code 11 (try again later) as the plugin's answer: the shim prints it and never runs the request itself. */
    private static ThickWire.Answer tryAgain(String msg) {
        return ThickWire.Answer.served(1, ThickWire.tryAgainLater(msg), new byte[0]);
    }

    /** weftd may have acted already: a served code 11, never a decline (the shim would run it a second time). */
    static ThickWire.Answer failedMidway(RuntimeException e) {
        return tryAgain("weftd failed while running the request; try again: " + e);
    }

    /** Why weftd cannot run {@code inv} exactly as the plugin process would, or null. */
    private String whyNot(Invocation inv) {
        if (!canEnter) {
            return "weftd cannot enter network namespaces (no CAP_SYS_ADMIN)";
        }
        if (inv.version() != ThickWire.VERSION) {
            return "protocol version " + inv.version() + " is not served (weftd speaks " + ThickWire.VERSION + ")";
        }
        if (!inv.plugin().equals("weft-routed")) {
            return "weftd does not run " + inv.plugin();
        }
        String own = serving == null ? NsId.of("/proc/thread-self/ns/net") : NsId.of(serving.path());
        if (own.isEmpty() || !own.equals(inv.callerNetns())) {
            return "the caller is in another network namespace than weftd";
        }
        String netns = inv.env().getOrDefault("CNI_NETNS", "");
        if (!NsId.of(netns).equals(inv.targetNetns())) {
            return "CNI_NETNS is not the same namespace for weftd (another mount namespace?)";
        }
        if (!inv.targetNetns().isEmpty() && inv.targetNetns().equals(own) && !"1".equals(inv.env().get("CNI_NETNS_OVERRIDE"))) {
            return "CNI_NETNS is weftd's own namespace"; // the plugin's own check says so, in the plugin
        }
        JsonNode config;
        try {
            config = JsonTree.read(inv.stdin());
        } catch (IOException e) {
            return "the configuration is not JSON"; // the plugin reports it in its words
        }
        if (config == null || !config.isObject()) {
            return "the configuration is not a JSON object";
        }
        JsonNode ipamConf = config.path("ipam");
        if (!"weft-ipam".equals(ipamConf.path("type").asText())) {
            return "IPAM type \"" + ipamConf.path("type").asText() + "\" is not run in weftd";
        }
        JsonNode s = ipamConf.get("socket");
        Path named = s == null || s.isNull() ? IpamClient.DEFAULT_SOCKET : s.isTextual() ? Path.of(s.asText()) : null;
        if (named == null || !named.toAbsolutePath().normalize().equals(socket.toAbsolutePath().normalize())) {
            return "the configuration's weft-ipam socket is not this weftd's";
        }
        return null;
    }

    /** Runs the plugin in weftd as its own process would: the node's namespace, weft-ipam bound to the allocator. */
    private ThickWire.Answer run(Invocation inv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(new Capped(err, MAX_STDERR), true, StandardCharsets.UTF_8);
        Function<String, CniPlugin> registry = new Registry(ipam);
        NetNs.Task<Integer, RuntimeException> task = () -> InProcess.withRegistry(registry,
                () -> PluginRunner.run(new RoutedPlugin(), inv.env(), inv.stdin(), o, e));
        int rc = serving == null ? task.call() : Namespace.borrow(serving).run(task);
        return ThickWire.Answer.served(rc, out.toByteArray(), err.toByteArray());
    }

    /** weft-routed, and weft-ipam bound to this weftd's block IPAM; nothing else runs in weftd. */
    private record Registry(IpamTransport ipam) implements Function<String, CniPlugin> {
        @Override
        public CniPlugin apply(String type) {
            return switch (type) {
                case "weft-routed" -> new RoutedPlugin();
                case "weft-ipam" -> new BlockIpamPlugin(ipam);
                default -> null;
            };
        }
    }

    /** A stream that keeps the first {@code cap} bytes and drops the rest. */
    private static final class Capped extends java.io.OutputStream {
        private final ByteArrayOutputStream to;
        private final int cap;

        Capped(ByteArrayOutputStream to, int cap) {
            this.to = to;
            this.cap = cap;
        }

        @Override
        public void write(int b) {
            if (to.size() < cap) {
                to.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            to.write(b, off, Math.max(0, Math.min(len, cap - to.size())));
        }
    }

    /** A request checked field by field: sizes, types, CNI_* keys only, a verb weftd may serve. */
    record Invocation(int version, String plugin, String callerNetns, String targetNetns, Map<String, String> env, byte[] stdin) {
        static Invocation parse(JsonNode o) throws IpamException {
            JsonNode v = o.get("v");
            if (v == null || !v.isInt()) {
                throw bad("\"v\" must be the protocol version, an integer");
            }
            String plugin = text(o, "plugin", MAX_ID_CHARS, false);
            String caller = text(o, "callerNetns", MAX_ID_CHARS, true);
            String target = text(o, "targetNetns", MAX_ID_CHARS, true);
            JsonNode envNode = o.get("env");
            if (envNode == null || !envNode.isObject() || envNode.size() > MAX_ENV) {
                throw bad("\"env\" must be an object of at most " + MAX_ENV + " CNI_* variables");
            }
            Map<String, String> env = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = envNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().startsWith("CNI_") || e.getKey().length() > MAX_ID_CHARS || !e.getValue().isTextual()
                        || e.getValue().asText().length() > MAX_ENV_CHARS || e.getValue().asText().indexOf('\0') >= 0) {
                    throw bad("\"env\" holds CNI_* names with strings of at most " + MAX_ENV_CHARS + " characters, no NUL");
                }
                env.put(e.getKey(), e.getValue().asText());
            }
            if (!ThickWire.VERBS.contains(env.getOrDefault("CNI_COMMAND", ""))) {
                throw bad("CNI_COMMAND must be one of " + new java.util.TreeSet<>(ThickWire.VERBS));
            }
            String netns = env.getOrDefault("CNI_NETNS", "");
            if (!netns.isEmpty() && (!netns.startsWith("/") || !Path.of(netns).normalize().toString().equals(netns))) {
                throw bad("CNI_NETNS must be an absolute, normalized path");
            }
            byte[] stdin;
            try {
                stdin = Base64.getDecoder().decode(text(o, "stdin", ThickWire.MAX_FRAME, true));
            } catch (IllegalArgumentException e) {
                throw bad("\"stdin\" is not base64");
            }
            return new Invocation(v.asInt(), plugin, caller, target, env, stdin);
        }

        Invocation withEnv(Map<String, String> other) {
            return new Invocation(version, plugin, callerNetns, targetNetns, other, stdin);
        }

        private static String text(JsonNode o, String field, int max, boolean emptyOk) throws IpamException {
            JsonNode v = o.get(field);
            if (v == null || !v.isTextual() || v.asText().length() > max || (!emptyOk && v.asText().isEmpty())) {
                throw bad("\"" + field + "\" must be a string of at most " + max + " characters");
            }
            return v.asText();
        }

        private static IpamException bad(String msg) {
            return new IpamException(CniErrorCodes.INVALID_CONFIG, "bad cni request: " + msg);
        }
    }

    @Override
    public void close() {
        try {
            java.nio.file.Files.deleteIfExists(marker(socket));
        } catch (IOException e) {
            // a stale marker only costs a shim one refused connection
        } finally {
            if (serving != null) {
                serving.close();
            }
        }
    }
}
