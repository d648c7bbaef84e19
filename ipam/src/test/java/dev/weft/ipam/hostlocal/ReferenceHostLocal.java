package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.PrerequisiteException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives the real reference plugin (Debian's containernetworking-plugins) as a runtime would:
 * a separate process, CNI_* in the environment, the config on stdin, the result on stdout.
 */
final class ReferenceHostLocal {
    private ReferenceHostLocal() {}

    static final Path BINARY = Path.of("/usr/lib/cni/host-local");

    static Path binary() {
        if (!Files.isExecutable(BINARY)) {
            throw new PrerequisiteException("reference plugin " + BINARY
                    + " not found: apt-get install -y containernetworking-plugins");
        }
        return BINARY;
    }

    /** Runs one verb; never throws for a plugin failure (see the result's exit code). */
    static Cmd.Result run(String verb, JsonNode config, String containerId, String ifname, String cniArgs) {
        Cmd.Call call = Cmd.of(binary().toString())
                .unsetEnvPrefix("CNI_")
                .env("CNI_COMMAND", verb)
                .env("CNI_CONTAINERID", containerId)
                .env("CNI_NETNS", "/var/run/netns/wt-unused")
                .env("CNI_IFNAME", ifname)
                .env("CNI_PATH", BINARY.getParent().toString())
                .input(config.toString());
        if (cniArgs != null) {
            call.env("CNI_ARGS", cniArgs);
        }
        return call.tryRun();
    }

    /** ADD that must succeed; returns the addresses of the result's {@code ips}, e.g. "10.1.0.2/24". */
    static List<String> add(JsonNode config, String containerId) {
        return add(config, containerId, "eth0", null);
    }

    static List<String> add(JsonNode config, String containerId, String ifname, String cniArgs) {
        Cmd.Result r = run("ADD", config, containerId, ifname, cniArgs);
        assertEquals(0, r.exitCode(), () -> "reference ADD failed: " + r.stdout() + r.stderr());
        List<String> out = new ArrayList<>();
        for (JsonNode ip : Configs.json(r.stdout()).get("ips")) {
            out.add(ip.get("address").textValue());
        }
        return out;
    }

    /** ADD that must fail; returns the error's {@code msg}. */
    static String addError(JsonNode config, String containerId, String cniArgs) {
        Cmd.Result r = run("ADD", config, containerId, "eth0", cniArgs);
        assertNotEquals(0, r.exitCode(), () -> "reference ADD unexpectedly succeeded: " + r.stdout());
        JsonNode err = Configs.json(r.stdout());
        assertTrue(err.has("msg"), () -> "no error JSON on stdout: " + r.stdout());
        return err.get("msg").textValue();
    }

    static void del(JsonNode config, String containerId) {
        del(config, containerId, "eth0");
    }

    static void del(JsonNode config, String containerId, String ifname) {
        Cmd.Result r = run("DEL", config, containerId, ifname, null);
        assertEquals(0, r.exitCode(), () -> "reference DEL failed: " + r.stdout() + r.stderr());
    }

    /** CHECK; true iff the reference found a reservation. */
    static boolean check(JsonNode config, String containerId) {
        return run("CHECK", config, containerId, "eth0", null).exitCode() == 0;
    }
}
