package dev.weft.cni.skel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.build.BuildInfo;
import dev.weft.cni.spec.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The plugins report the build (Maven version and git commit) where the CNI spec leaves room: on
 * stderr, in the "about" line with no CNI_COMMAND and beside VERSION's answer; VERSION's stdout
 * keeps exactly the spec's two keys.
 */
class BuildVersionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Idle() implements CniPlugin {
        @Override
        public String name() {
            return "wt-idle";
        }

        @Override
        public Result add(Request r) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void del(Request r) {
        }

        @Override
        public void check(Request r) {
        }

        @Override
        public Set<String> knownArgs() {
            return Set.of();
        }
    }

    private static String[] run(Map<String, String> env, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = PluginRunner.run(new Idle(), env, stdin.getBytes(StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void versionAndAboutCarryTheBuild() throws Exception {
        BuildInfo b = BuildInfo.current();
        assertNotEquals(BuildInfo.UNKNOWN, b.version(), "the build wrote no version");
        String expected = "wt-idle " + b.version() + " (commit " + b.commit() + ")";

        String[] about = run(Map.of(), "");
        assertEquals("", about[0], "nothing on stdout without a CNI_COMMAND");
        assertTrue(about[1].startsWith("Weft CNI plugin " + expected + " — CNI spec versions"), about[1]);

        String[] version = run(Map.of("CNI_COMMAND", "VERSION", "CNI_NETNS", "dummy", "CNI_IFNAME", "dummy", "CNI_PATH", "dummy"),
                "{\"cniVersion\":\"1.1.0\"}");
        JsonNode v = JSON.readTree(version[0]);
        List<String> keys = List.copyOf(JSON.convertValue(v, Map.class).keySet());
        assertEquals(List.of("cniVersion", "supportedVersions"), keys, "only the spec's keys on stdout");
        assertEquals(expected, version[1].strip());
    }
}
