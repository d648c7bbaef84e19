package dev.weft.cni.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cni.testing.CniBin;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A CNI executable's stdout carries a CNI error object whatever goes wrong: a flood on stdin, a
 * native stub that cannot be loaded, no Java at all. Runs the real launcher in a copy of the
 * installed layout (launcher + jar in one file, jffi's stub pre-extracted in .weft-jffi beside it).
 */
@KernelTest
class AlwaysJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long FLOOD = 100L << 20;

    private Path layout;
    private Path dataDir;

    @BeforeEach
    void setUp() throws IOException {
        // Not under /tmp: the stub test mounts a private tmpfs over it.
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        layout = Files.createTempDirectory(target, "wt-layout");
        dataDir = Files.createTempDirectory("wt-ipam");
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Path d : List.of(layout, dataDir)) {
            try (var s = Files.walk(d)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Run(int exit, String stdout, String stderr, long written) {
        JsonNode json() throws IOException {
            return JSON.readTree(stdout);
        }

        @Override
        public String toString() {
            return "exit " + exit + " stdout=" + stdout.strip() + " stderr=" + stderr.strip();
        }
    }

    /** Runs cmd with env, streams {@code stdinSize} bytes (a config head, then padding) and gathers the answer. */
    private static Run run(List<String> cmd, Map<String, String> env, byte[] head, long stdinSize) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        long written = 0;
        try (OutputStream in = p.getOutputStream()) {
            in.write(head);
            written = head.length;
            byte[] pad = new byte[64 << 10];
            Arrays.fill(pad, (byte) ' ');
            while (written < stdinSize) {
                int n = (int) Math.min(pad.length, stdinSize - written);
                in.write(pad, 0, n);
                written += n;
            }
        } catch (IOException brokenPipe) {
            // The plugin stopped reading: what this test wants to see.
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("plugin still running");
        }
        return new Run(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8),
                written);
    }

    private static byte[] drain(InputStream s) {
        try {
            return s.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    @Test
    void hundredMegabytesOfStdinIsCode6WithoutReadingItAll() throws Exception {
        byte[] head = ("{\"cniVersion\":\"1.0.0\",\"name\":\"wtbig\",\"type\":\"weft-host-local\",\"ipam\":{\"type\":\"weft-host-local\","
                + "\"subnet\":\"10.99.0.0/24\",\"dataDir\":\"" + dataDir + "\"},\"pad\":\"").getBytes(StandardCharsets.UTF_8);
        Map<String, String> env = Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", CniBin.cniPath());
        Run r = run(List.of(CniBin.plugin("weft-host-local").toString()), env, head, FLOOD);
        assertTrue(r.exit() != 0, r.toString());
        assertEquals(6, r.json().path("code").asInt(), r.toString());
        assertTrue(r.json().path("details").asText().contains("1048576"), r.toString());
        assertTrue(r.written() < FLOOD, "the plugin read all " + r.written() + " bytes instead of stopping at its cap");
        try (var s = Files.list(dataDir)) {
            assertEquals(0, s.count(), "nothing left in the dataDir");
        }
    }

    /** launcher.sh followed by a jar whose manifest puts this build's classes on the class path. */
    private Path installPlugin(String name) throws IOException {
        Path plugin = layout.resolve(name);
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        List<String> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(e).toUri().toString());
        }
        mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
        new JarOutputStream(jar, mf).close();
        try (OutputStream o = Files.newOutputStream(plugin)) {
            o.write(Files.readAllBytes(Path.of("src/main/dist/launcher.sh")));
            o.write(jar.toByteArray());
        }
        Files.setPosixFilePermissions(plugin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return plugin;
    }

    @Test
    void unloadableNativeStubIsAJsonError() throws Exception {
        Path plugin = installPlugin("weft-loopback");
        // The tmpfs over /tmp below would hide the plugin itself in a checkout under /tmp.
        assertTrue(!plugin.toAbsolutePath().normalize().startsWith("/tmp"), "this test mounts a noexec tmpfs over /tmp: run the"
                + " suite from a checkout outside /tmp (the plugin is at " + plugin + ")");
        // The installer's pre-extracted stub, damaged; and /tmp mounted noexec (a private mount, only
        // for this process) so that jffi's fallback, extracting the stub from its jar, cannot load either.
        Path stub = layout.resolve(".weft-jffi/libjffi-1.2.so");
        Files.createDirectories(stub.getParent());
        Files.write(stub, "not an ELF object".getBytes(StandardCharsets.US_ASCII));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (TestNetns pod = TestNetns.create("pod")) {
            Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "stub1", "CNI_NETNS", pod.path().toString(),
                    "CNI_IFNAME", "lo", "CNI_PATH", layout.toString(), "WEFT_JAVA", java);
            byte[] config = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtstub\",\"type\":\"weft-loopback\"}".getBytes(StandardCharsets.UTF_8);
            Run r = run(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                    "mount -t tmpfs -o noexec wt-tmp /tmp && exec \"$0\"", plugin.toString()), env, config, config.length);
            assertTrue(r.exit() != 0, r.toString());
            JsonNode o = r.json();
            assertEquals("1.0.0", o.path("cniVersion").asText(), r.toString());
            assertEquals(999, o.path("code").asInt(), r.toString());
            assertTrue(o.path("msg").asText().contains("libjffi"), r.toString());
            assertTrue(!o.path("msg").asText().contains("\n"), "one line, the trace is on stderr: " + r);
        }
    }

    @Test
    void noJavaIsAJsonError() throws Exception {
        Path plugin = installPlugin("weft-bridge");
        Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_PATH", layout.toString(), "WEFT_JAVA", "/nonexistent/wt-java");
        Run r = run(List.of(plugin.toString()), env, "{}".getBytes(StandardCharsets.UTF_8), 2);
        assertTrue(r.exit() != 0, r.toString());
        assertEquals(999, r.json().path("code").asInt(), r.toString());
        assertTrue(r.json().path("msg").asText().contains("/nonexistent/wt-java"), r.toString());
    }
}
