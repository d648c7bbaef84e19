package dev.weft.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A uniquely named {@code wt-} network namespace ({@code ip netns add}) with {@code lo} up.
 * {@link #close()} deletes it ({@code ip netns del}); deleting a namespace destroys every link in it
 * (a veth whose peer lives elsewhere disappears with it, asynchronously).
 *
 * <pre>{@code
 * try (TestNetns ns = TestNetns.create()) {
 *     ns.ip("link", "add", "br0", "type", "bridge");
 *     ns.exec("ping", "-c1", "127.0.0.1");
 *     KernelState.link(ns.name(), "br0");
 * }
 * }</pre>
 */
public final class TestNetns implements AutoCloseable {
    public static final Path NETNS_DIR = Path.of("/run/netns");

    private final String name;
    private volatile boolean closed;

    private TestNetns(String name) {
        this.name = name;
    }

    /** A namespace named {@code wt-xxxxxxx}. */
    public static TestNetns create() {
        return createWithRetry(null);
    }

    /** A namespace named {@code wt-xxxxxx-suffix}. */
    public static TestNetns create(String suffix) {
        return createWithRetry(suffix);
    }

    /** A namespace with exactly this name (must start with {@code wt-}; fails if it exists). */
    public static TestNetns named(String name) {
        Names.requirePrefixed("netns", name);
        if (name.contains("/") || name.isBlank()) {
            throw new IllegalArgumentException("invalid netns name '" + name + "'");
        }
        Tools.requireKernelTestPrerequisites();
        Cleanup.netnsCreated(name);   // claim before creating: see Cleanup
        Cmd.Result r = Cmd.tryRun("ip", "netns", "add", name);
        if (!r.ok()) {
            Cleanup.netnsRemoved(name);
            throw new CmdException(r);
        }
        return init(name);
    }

    private static TestNetns createWithRetry(String suffix) {
        Tools.requireKernelTestPrerequisites();
        for (int attempt = 0; ; attempt++) {
            String n = suffix == null ? Names.unique() : Names.PREFIX + Names.random(6) + "-" + suffix;
            if (Files.exists(NETNS_DIR.resolve(n))) {
                continue;
            }
            Cleanup.netnsCreated(n);   // claim before creating: see Cleanup
            Cmd.Result r = Cmd.tryRun("ip", "netns", "add", n);
            if (r.ok()) {
                return init(n);
            }
            Cleanup.netnsRemoved(n);
            if (attempt >= 5 || !r.stderr().contains("exists")) {
                throw new CmdException(r);
            }
        }
    }

    private static TestNetns init(String n) {
        TestNetns ns = new TestNetns(n);
        try {
            Cmd.run("ip", "-n", n, "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** {@code /run/netns/<name>}: what a CNI runtime passes as CNI_NETNS. */
    public Path path() {
        return NETNS_DIR.resolve(name);
    }

    /** True while {@code /run/netns/<name>} exists. */
    public boolean exists() {
        return Files.exists(path());
    }

    /** Runs a command inside the namespace ({@code ip netns exec}); throws on non-zero exit. */
    public Cmd.Result exec(String... cmd) {
        return Cmd.runInNetns(name, cmd);
    }

    /** Runs a command inside the namespace and returns the result whatever the exit code. */
    public Cmd.Result tryExec(String... cmd) {
        return Cmd.tryRunInNetns(name, cmd);
    }

    /** Same as {@link #exec} with a timeout. */
    public Cmd.Result exec(Duration timeout, String... cmd) {
        return Cmd.of(cmd).netns(name).timeout(timeout).run();
    }

    /** {@code ip -n <name> args...}; throws on failure. */
    public Cmd.Result ip(String... args) {
        return Cmd.run(prefixed("ip", args));
    }

    /** {@code bridge -n <name> args...}; throws on failure. */
    public Cmd.Result bridge(String... args) {
        return Cmd.run(prefixed("bridge", args));
    }

    /** {@code nft -f -} with the given ruleset text, inside the namespace. */
    public Cmd.Result nft(String rulesetText) {
        return Cmd.of("nft", "-f", "-").netns(name).input(rulesetText).run();
    }

    /** Reads a sysctl of this namespace. */
    public String sysctl(String key) {
        return KernelState.sysctl(name, key);
    }

    /** Writes a sysctl of this namespace (only namespaced keys such as net.* are isolated!). */
    public void setSysctl(String key, String value) {
        if (!key.startsWith("net.")) {
            throw new IllegalArgumentException("refusing to set non-namespaced sysctl " + key + " (would change the host)");
        }
        exec("sysctl", "-q", "-w", key + "=" + value);
    }

    private List<String> prefixed(String tool, String[] args) {
        List<String> l = new ArrayList<>(args.length + 3);
        l.add(tool);
        l.add("-n");
        l.add(name);
        l.addAll(Arrays.asList(args));
        return l;
    }

    /** Deletes the namespace; idempotent, tolerates it being gone already. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Cmd.Result r = Cmd.tryRun(Duration.ofSeconds(15), "ip", "netns", "del", name);
        if (!r.ok() && exists()) {
            throw new CmdException(r);
        }
        closed = true;
        Cleanup.netnsRemoved(name);
    }

    @Override
    public String toString() {
        return "TestNetns[" + name + "]";
    }
}
