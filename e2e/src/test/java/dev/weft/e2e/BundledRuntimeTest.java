package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.Names;
import dev.weft.testkit.TestNetns;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CNI executables on a host without Java. Every command runs in a private mount namespace in
 * which no host Java is left: an empty file is bind-mounted over each {@code java} on PATH and a
 * tmpfs over /usr/lib/jvm, and a check inside refuses to go on if {@code java -version} still
 * works. There the installer puts the plugins and the bundled runtime into a fresh directory and
 * trains their class-data archives, and weft-bridge with weft-host-local does a real ADD and DEL
 * in a {@code wt-} node and pod, cross-checked with {@code ip -j}. While the ADD waits for the
 * IPAM store's flock, held by this test, the plugin's JVM is inspected in /proc: its executable
 * is the installed runtime-&lt;id&gt;, and it maps that runtime's modules and base archive and the
 * plugin's own .jsa (a JVM maps an archive only after accepting it as its own); meanwhile a second
 * install swaps in another runtime, and the waiting ADD still completes. Installing that one again
 * copies nothing and removes the first. The dist files come from {@code mvn -pl e2e -am package},
 * which a reactor run of this module does first.
 */
@KernelTest
class BundledRuntimeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** From the e2e module directory (surefire's working directory). */
    private static final Path DIST = Path.of("..", "dist").toAbsolutePath().normalize();
    private static final Path CNI_DIST = DIST.resolve("cni/bin");
    private static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Mounts over every Java a command could find, then checks that none runs and execs the
     * command ($0 is the empty file to mount). The bind mounts come first: they follow PATH's
     * symlinks to the real binaries, most of them under /usr/lib/jvm, which the tmpfs then hides.
     */
    private static final String HIDE_JAVA = "set -e\n"
            + "empty=\"$0\"\n"
            + "IFS=:\n"
            + "for d in $PATH; do if [ -e \"$d/java\" ]; then mount --bind \"$empty\" \"$d/java\"; fi; done\n"
            + "unset IFS\n"
            + "mount -t tmpfs -o size=64k,mode=0755 wt-nojava /usr/lib/jvm\n"
            + "if java -version >/dev/null 2>&1; then echo 'BundledRuntimeTest: a host java still runs' >&2; exit 97; fi\n"
            + "exec \"$@\"\n";

    @Test
    void addAndDelRunOnTheInstalledRuntimeWithNoHostJava(TestNetns node, TestNetns pod, @TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        requireFreshDist();

        // Nothing of the host's Java is left in the namespace: `java` itself cannot be run.
        Cmd.Result java = hidden(empty, List.of("java", "-version")).tryRun();
        assertTrue(java.exitCode() == 126 || java.exitCode() == 127, "java -version with the host's Java hidden: " + java);

        Path bin = dir.resolve("cni-bin");
        Cmd.Result install = hidden(empty, List.of(CNI_DIST.resolve("install").toString(), "--dest", bin.toString()))
                .timeout(INSTALL_TIMEOUT).tryRun();
        assertEquals(0, install.exitCode(), install.toString());
        assertFalse(install.stderr().contains("no class-data archive"), install.toString());
        Path link = bin.resolve(".weft/runtime");
        Path target = Files.readSymbolicLink(link);
        assertEquals(1, target.getNameCount(), "a relative link within .weft (the directory may be mounted elsewhere): " + target);
        assertTrue(target.toString().matches("runtime-[0-9][0-9.]*-[0-9a-f]{12}"), target.toString());
        Path runtime = bin.resolve(".weft").resolve(target).toRealPath();
        List<Object> archives = new ArrayList<>();
        for (String name : Launchers.PLUGINS) {
            assertTrue(Files.size(bin.resolve(name + ".jsa")) > 0, name + ".jsa");
            archives.add(Files.getAttribute(bin.resolve(name + ".jsa"), "unix:ino"));
        }
        // An init container installs on every pod start: the same install again copies and trains nothing.
        Cmd.Result same = hidden(empty, List.of(CNI_DIST.resolve("install").toString(), "--dest", bin.toString()))
                .timeout(INSTALL_TIMEOUT).tryRun();
        assertEquals(0, same.exitCode(), same.toString());
        assertFalse(same.stdout().contains("trained") || same.stdout().contains("installed " + bin.resolve("weft-")), same.toString());
        for (int i = 0; i < Launchers.PLUGINS.size(); i++) {
            String name = Launchers.PLUGINS.get(i);
            assertTrue(same.stdout().contains("unchanged " + bin.resolve(name) + "\n"), name + ": " + same);
            assertEquals(archives.get(i), Files.getAttribute(bin.resolve(name + ".jsa"), "unix:ino"), name + ".jsa kept");
        }
        for (String name : Launchers.PLUGINS) {
            Cmd.Result v = cni(empty, node, bin.resolve(name), "VERSION", "", "{\"cniVersion\":\"1.1.0\"}").tryRun();
            assertEquals(0, v.exitCode(), name + " VERSION: " + v);
            assertTrue(JSON.readTree(v.stdout()).path("supportedVersions").isArray(), v.stdout());
        }

        String bridge = Names.unique("br");
        Path dataDir = dir.resolve("ipam");
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"wtrt\",\"type\":\"weft-bridge\",\"bridge\":\"" + bridge
                + "\",\"isGateway\":true,\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"10.213.40.0/24\",\"dataDir\":\""
                + dataDir + "\"}}";
        Path lock = Files.createDirectories(dataDir.resolve("wtrt")).resolve("lock");
        Cmd.Call add = cni(empty, node, bin.resolve("weft-bridge"), "ADD", pod.path().toString(), conf);
        Cmd.Result added;
        try (HeldFlock held = HeldFlock.take(lock)) {
            CompletableFuture<Cmd.Result> pending = CompletableFuture.supplyAsync(add::tryRun);
            long pid = blockedPluginJvm(runtime, held, pending);
            String maps = Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
            assertTrue(maps.contains(bin.resolve("weft-bridge.jsa").toRealPath() + "\n"), "the plugin's class-data archive is mapped:\n" + maps);
            assertTrue(maps.contains(runtime.resolve("lib/server/classes.jsa") + "\n"), "the runtime's base archive is mapped:\n" + maps);
            assertTrue(maps.contains(runtime.resolve("lib/modules") + "\n"), "the runtime's modules are mapped:\n" + maps);

            // An install while the plugin runs: another runtime (its hash differs) takes the link,
            // and the one the waiting JVM runs on stays.
            Path other = dir.resolve("runtime-b");
            Cmd.run("cp", "-a", DIST.resolve("runtime").toString(), other.toString());
            Files.writeString(other.resolve("wt-marker"), "another runtime\n");
            Cmd.Result during = hidden(empty, List.of(CNI_DIST.resolve("install").toString(), "--dest", bin.toString(),
                    "--runtime", other.toString(), "--no-cds")).timeout(INSTALL_TIMEOUT).tryRun();
            assertEquals(0, during.exitCode(), during.toString());
            assertFalse(Files.readSymbolicLink(link).equals(target), "the link moved to the other runtime");
            assertTrue(Files.isRegularFile(runtime.resolve("lib/modules")), "the runtime in use is kept");
            held.close();
            added = pending.get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        assertEquals(0, added.exitCode(), "ADD across an install: " + added);
        JsonNode result = JSON.readTree(added.stdout());
        String address = result.path("ips").path(0).path("address").asText();
        assertTrue(address.startsWith("10.213.40."), added.stdout());
        List<String> podAddresses = new ArrayList<>();
        for (AddrInfo a : KernelState.addresses(pod.name(), "eth0")) {
            podAddresses.add(a.cidr());
        }
        assertTrue(podAddresses.contains(address), "eth0 in the pod has " + podAddresses + ", ADD said " + address);
        List<String> ports = bridgePorts(node, bridge);
        assertEquals(1, ports.size(), "one veth on " + bridge + ": " + ports);
        assertTrue(added.stdout().contains("\"name\":\"" + ports.get(0) + "\""), "the veth on the bridge is ADD's: " + added.stdout());

        // The same install again copies nothing and removes the first runtime, now unused.
        Path current = bin.resolve(".weft").resolve(Files.readSymbolicLink(link));
        Object inode = Files.getAttribute(current, "unix:ino");
        Cmd.Result again = hidden(empty, List.of(CNI_DIST.resolve("install").toString(), "--dest", bin.toString(),
                "--runtime", dir.resolve("runtime-b").toString(), "--no-cds")).timeout(INSTALL_TIMEOUT).tryRun();
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(current, bin.resolve(".weft").resolve(Files.readSymbolicLink(link)));
        assertEquals(inode, Files.getAttribute(current, "unix:ino"), "the installed runtime was reused, not copied again");
        assertFalse(Files.exists(runtime), "the first runtime is removed once nothing runs on it");
        try (var left = Files.list(bin.resolve(".weft"))) {
            assertEquals(List.of(".install.lock", "cds", "runtime", current.getFileName().toString()),
                    left.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary copies left");
        }

        Cmd.Result del = cni(empty, node, bin.resolve("weft-bridge"), "DEL", pod.path().toString(), conf).tryRun();
        assertEquals(0, del.exitCode(), del.toString());
        assertEquals(Optional.empty(), KernelState.link(pod.name(), "eth0").map(LinkInfo::ifname), "DEL removed the pod's eth0");
        assertEquals(List.of(), bridgePorts(node, bridge), "DEL removed the veth from " + bridge);
        assertFalse(Files.exists(dataDir.resolve("wtrt").resolve(address.substring(0, address.indexOf('/')))), "DEL released " + address);
    }

    /** The dist launchers of weftd, weftctl and weft-bgp prefer dist/runtime, and each starts on it. */
    @Test
    void daemonsAndToolsStartOnTheBundledRuntime(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        requireFreshDist();
        Path bin = DIST.resolve("bin");
        requireBuiltFrom(bin.resolve("weftd"), Path.of("..", "flanneld", "src", "main", "dist", "weftd.sh"));
        requireBuiltFrom(bin.resolve("weftctl"), Path.of("..", "bgp-agent", "src", "main", "dist", "weftctl.sh"));
        requireBuiltFrom(bin.resolve("weft-bgp"), Path.of("..", "bgp-agent", "src", "main", "dist", "weft-bgp.sh"));
        Cmd.Result weftd = hidden(empty, List.of(bin.resolve("weftd").toString(), "-version")).tryRun();
        assertEquals(0, weftd.exitCode(), weftd.toString());
        assertTrue(weftd.stdout().startsWith("weftd "), weftd.toString());
        Cmd.Result weftctl = hidden(empty, List.of(bin.resolve("weftctl").toString(), "version")).tryRun();
        assertEquals(0, weftctl.exitCode(), weftctl.toString());
        assertTrue(weftctl.stdout().startsWith("weftctl "), weftctl.toString());
        Cmd.Result bgp = hidden(empty, List.of(bin.resolve("weft-bgp").toString(), "--help")).tryRun();
        assertEquals(0, bgp.exitCode(), bgp.toString());
        assertTrue((bgp.stdout() + bgp.stderr()).contains("--config"), bgp.toString());
    }

    /** {@code cmd} in a private mount namespace without any host Java, and without JAVA_HOME or WEFT_JAVA. */
    private static Cmd.Call hidden(Path empty, List<String> cmd) {
        List<String> argv = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", HIDE_JAVA, empty.toString()));
        argv.addAll(cmd);
        return Cmd.of(argv).unsetEnvPrefix("JAVA").unsetEnvPrefix("JDK_JAVA").unsetEnvPrefix("WEFT_").timeout(RUN_TIMEOUT);
    }

    /** A CNI invocation of {@code plugin} in the node namespace, the host's Java hidden. */
    private static Cmd.Call cni(Path empty, TestNetns node, Path plugin, String verb, String podNetns, String conf) {
        Cmd.Call c = hidden(empty, List.of("nsenter", "--net=" + node.path(), "--", plugin.toString()))
                .unsetEnvPrefix("CNI_").env("CNI_COMMAND", verb).env("CNI_PATH", plugin.getParent().toString()).input(conf);
        if (!podNetns.isEmpty()) {
            c = c.env("CNI_CONTAINERID", "wt-bundled-runtime").env("CNI_NETNS", podNetns).env("CNI_IFNAME", "eth0");
        }
        return c;
    }

    private static List<String> bridgePorts(TestNetns node, String bridge) {
        List<String> ports = new ArrayList<>();
        for (LinkInfo l : KernelState.links(node.name())) {
            if (bridge.equals(l.master()) && "veth".equals(l.kind())) {
                ports.add(l.ifname());
            }
        }
        return ports;
    }

    /**
     * The pid of the JVM that runs {@code runtime}'s java (found by its /proc exe link, so a JVM
     * of any other Java cannot match) once it waits for {@code held}'s lock in /proc/locks.
     */
    private static long blockedPluginJvm(Path runtime, HeldFlock held, CompletableFuture<Cmd.Result> pending) throws Exception {
        Path java = runtime.resolve("bin/java");
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (pending.isDone()) {
                throw new AssertionError("ADD ended while the IPAM lock was held: " + pending.get());
            }
            for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
                Path exe;
                try {
                    exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "exe"));
                } catch (IOException | UnsupportedOperationException gone) {
                    continue;
                }
                if (exe.equals(java) && held.waitedForBy(p.pid())) {
                    return p.pid();
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no JVM of " + java + " waited for the IPAM lock within " + RUN_TIMEOUT);
    }

    /** The runtime and the CNI files this test runs, built from this tree's launcher and installer. */
    private static void requireFreshDist() throws IOException {
        Path sources = Path.of("..", "cni-plugin", "src", "main", "dist");
        assertTrue(Files.isExecutable(DIST.resolve("runtime/bin/java")), DIST.resolve("runtime") + " is missing: run `mvn -pl e2e -am package`");
        requireBuiltFrom(CNI_DIST.resolve("install"), sources.resolve("install"));
        requireBuiltFrom(CNI_DIST.resolve("weft-bridge"), sources.resolve("launcher.sh"));
    }

    /** Fails unless {@code built} begins with {@code source}, byte for byte (a launcher header, or the whole file). */
    private static void requireBuiltFrom(Path built, Path source) throws IOException {
        byte[] expected = Files.readAllBytes(source);
        byte[] head;
        try (InputStream in = Files.newInputStream(built)) {
            head = in.readNBytes(expected.length);
        }
        assertEquals(new String(expected, StandardCharsets.UTF_8), new String(head, StandardCharsets.UTF_8),
                built + " is stale (not built from " + source + "): run `mvn -pl e2e -am package`");
    }

    /** An exclusive flock(2) on a file, held by util-linux flock(1) until closed. */
    private static final class HeldFlock implements AutoCloseable {
        private final Process process;
        private final long inode;

        private HeldFlock(Process process, long inode) {
            this.process = process;
            this.inode = inode;
        }

        static HeldFlock take(Path file) throws IOException {
            Process p = new ProcessBuilder("flock", "--exclusive", file.toString(), "-c", "echo held; exec cat").start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (!"held".equals(line)) {
                p.destroyForcibly();
                throw new IOException("flock " + file + " did not take the lock: " + line);
            }
            return new HeldFlock(p, (Long) Files.getAttribute(file, "unix:ino"));
        }

        /**
         * Whether {@code pid} waits for this lock: a line "N: -> FLOCK ADVISORY WRITE pid
         * major:minor:inode 0 EOF" in /proc/locks (the pid waits for one lock only, so the inode
         * is enough to name the file).
         */
        boolean waitedForBy(long pid) throws IOException {
            for (String l : Files.readAllLines(Path.of("/proc/locks"))) {
                String[] w = l.trim().split("\\s+");
                if (w.length >= 7 && w[1].equals("->") && w[2].equals("FLOCK") && w[5].equals(Long.toString(pid))
                        && w[6].endsWith(":" + inode)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                try {
                    process.getOutputStream().close(); // cat ends, flock(1) exits and the lock goes with it
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (IOException | InterruptedException e) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
