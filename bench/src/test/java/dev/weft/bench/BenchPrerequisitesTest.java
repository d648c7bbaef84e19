package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each bench script checks its tools before it builds or creates anything, and names what is
 * missing on one line. Run with a PATH that holds only bash and dirname (what the scripts' first
 * lines need), so every tool is missing; nothing is built, no namespace is made.
 */
class BenchPrerequisitesTest {

    @ParameterizedTest
    @CsvSource({
            "netlink-routes, java ip bridge nft",
            "cni-latency,    java ip bridge nft",
            "convergence,    java ip bridge nft etcd etcdctl iptables iptables-save iptables-restore",
            "udp-vs-vxlan,   java ip bridge nft etcd etcdctl iptables iptables-save iptables-restore iperf3 ping",
            "bgp-ingest,     java ip bridge nft bird birdc"})
    void aBenchWithoutItsToolsSaysWhatIsMissingOnOneLine(String bench, String tools, @TempDir Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String t : List.of("bash", "dirname")) {
            Files.createSymbolicLink(bin.resolve(t), which(t));
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(bench).toAbsolutePath().toString()); // bench/ is the module dir
        pb.environment().put("PATH", bin.toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bench/" + bench + " did not stop at its tool check");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), err);
        assertEquals("", out);
        List<String> lines = err.lines().toList();
        assertEquals(1, lines.size(), "one line: " + err);
        String line = lines.get(0);
        assertTrue(line.startsWith("bench/" + bench + ": missing "), line);
        for (String t : tools.split(" ")) {
            assertTrue(line.contains(" " + t + " ("), t + " not named: " + line);
        }
        if (bench.equals("cni-latency") && !Files.exists(Path.of("/usr/lib/cni/bridge"))) {
            assertTrue(line.contains("/usr/lib/cni/bridge"), line);
        }
    }

    private static Path which(String tool) throws IOException {
        for (String d : System.getenv("PATH").split(":")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p.toRealPath();
            }
        }
        throw new IOException(tool + " not on PATH");
    }
}
