package dev.weft.cni.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.Cmd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One plugin invocation as a runtime makes it: a separate process, CNI_* env, config on stdin,
 * result or error on stdout. {@code hostNs} runs the plugin inside a test namespace that plays the
 * node, so the real host is never touched.
 */
public final class Cni {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String plugin;
    private final Map<String, String> env = new LinkedHashMap<>();
    private String hostNs;
    private String stdin = "";

    private Cni(String plugin) {
        this.plugin = plugin;
        env.put("CNI_PATH", CniBin.cniPath());
    }

    public static Cni plugin(String name) {
        return new Cni(name);
    }

    public Cni command(String c) {
        env.put("CNI_COMMAND", c);
        return this;
    }

    public Cni containerId(String id) {
        env.put("CNI_CONTAINERID", id);
        return this;
    }

    public Cni netns(String path) {
        env.put("CNI_NETNS", path);
        return this;
    }

    public Cni ifname(String n) {
        env.put("CNI_IFNAME", n);
        return this;
    }

    public Cni args(String a) {
        env.put("CNI_ARGS", a);
        return this;
    }

    public Cni env(String k, String v) {
        if (v == null) {
            env.remove(k);
        } else {
            env.put(k, v);
        }
        return this;
    }

    public Cni in(String hostNamespace) {
        this.hostNs = hostNamespace;
        return this;
    }

    public Cni config(String json) {
        this.stdin = json;
        return this;
    }

    /** An attachment's env in one call: ADD/DEL/CHECK with id, netns path, eth0. */
    public Cni attachment(String command, String id, String netnsPath) {
        return command(command).containerId(id).netns(netnsPath).ifname("eth0");
    }

    public Outcome run() {
        List<String> cmd = new ArrayList<>();
        if (hostNs != null) {
            cmd.addAll(List.of("ip", "netns", "exec", hostNs));
        }
        cmd.add(CniBin.plugin(plugin).toString());
        Cmd.Call call = Cmd.of(cmd).input(stdin).timeout(Duration.ofSeconds(60)).unsetEnvPrefix("CNI_");
        env.forEach(call::env);
        Cmd.Result r = call.tryRun();
        return new Outcome(r.exitCode(), r.stdout(), r.stderr(), parse(r.stdout()));
    }

    private static JsonNode parse(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** What the plugin did: exit code, raw output, and stdout parsed as JSON (null if none). */
    public record Outcome(int exitCode, String stdout, String stderr, JsonNode json) {
        public boolean ok() {
            return exitCode == 0;
        }

        public int errorCode() {
            return json == null ? -1 : json.path("code").asInt(-1);
        }

        public String msg() {
            return json == null ? "" : json.path("msg").asText();
        }

        public Outcome requireOk() {
            if (!ok()) {
                throw new AssertionError("plugin failed (exit " + exitCode + "): " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + " stdout=" + stdout.strip() + " stderr=" + stderr.strip();
        }
    }
}
