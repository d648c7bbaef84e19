package dev.weft.bgp.status.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.build.BuildInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** `weftctl version` and `weftctl --version` print the build as weftd and the CNI plugins do. */
class WeftctlVersionTest {
    private static String out(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Weftctl.run(args, new PrintWriter(out), new PrintWriter(err)), err.toString());
        return out.toString();
    }

    /** Without weftd's jar on the class path (as here), the node commands say what is missing. */
    @Test
    void nodeCommandsNeedWeftdsJar() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(1, Weftctl.run(new String[] {"status"}, new PrintWriter(out), new PrintWriter(err)));
        assertEquals("weftctl: status needs weftd's jar on the class path (dist/bin/weftd beside dist/bin/weftctl)\n", err.toString());
    }

    @Test
    void versionIsTheBuild() {
        BuildInfo b = BuildInfo.current();
        String line = "weftctl " + b.version() + " (commit " + b.commit() + ")\n";
        assertEquals(line, out("version"));
        assertEquals(line, out("--version"));
        assertEquals("{\"commit\":\"" + b.commit() + "\",\"version\":\"" + b.version() + "\"}\n", out("--json", "version"));
    }
}
