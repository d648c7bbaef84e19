package dev.weft.cni.skel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.CniVersion;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.ResultJson;
import dev.weft.libc.ErrnoException;
import dev.weft.net.Cidr;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The verb dispatcher every Weft plugin runs through (the reference's "skel"): reads the
 * environment and stdin, validates them with the spec's error codes, gates verbs by version,
 * calls the plugin, and prints the result or the error object on stdout.
 */
public final class PluginRunner {
    private PluginRunner() {
    }

    /** "weft-bridge 0.1.0 (commit 0123456789ab)": the build, the same weftd and weftctl report. */
    static String about(CniPlugin plugin) {
        return dev.weft.build.BuildInfo.current().describe(plugin.name());
    }

    /** Runs one invocation and returns the process exit code. */
    public static int run(CniPlugin plugin, Map<String, String> env, byte[] stdin, PrintStream out, PrintStream err) {
        String version = null;
        try {
            String command = env.get("CNI_COMMAND");
            if (command == null || command.isEmpty()) {
                err.println("Weft CNI plugin " + about(plugin) + " — CNI spec versions " + CniVersion.SUPPORTED);
                return 0;
            }
            Verb verb;
            try {
                verb = Verb.valueOf(command);
            } catch (IllegalArgumentException e) {
                throw new CniError(CniError.INVALID_ENV, "unknown CNI_COMMAND: " + command);
            }
            if (verb == Verb.VERSION) {
                // stdout carries only the spec's two keys; the build goes to stderr, which is free-form
                err.println(about(plugin));
                out.println(Json.write(versionAnswer(stdin)));
                return 0;
            }
            checkEnv(verb, env);
            Trace.mark("env checked");
            JsonNode config = Json.parse(stdin, "network configuration");
            if (!config.isObject()) {
                throw new CniError(CniError.DECODE_FAILURE, "error parsing network configuration", "not a JSON object");
            }
            JsonNode v = config.get("cniVersion");
            version = v == null || v.isNull() || v.asText().isEmpty() ? "0.1.0" : v.asText();
            CniVersion.requireSupported(version);
            gate(verb, version);
            checkConfig(config);
            Trace.mark("stdin parsed");
            Request r = new Request(verb, env.getOrDefault("CNI_CONTAINERID", ""), env.getOrDefault("CNI_NETNS", ""),
                    env.getOrDefault("CNI_IFNAME", ""), Request.parseArgs(env.get("CNI_ARGS"), plugin.knownArgs()),
                    env.getOrDefault("CNI_ARGS", ""), env.getOrDefault("CNI_PATH", ""), stdin, config, version, env);
            switch (verb) {
                case ADD -> out.println(Json.write(ResultJson.toJson(plugin.add(r), version)));
                case DEL -> plugin.del(r);
                case CHECK -> plugin.check(r);
                case GC -> plugin.gc(r);
                case STATUS -> plugin.status(r);
                default -> throw new IllegalStateException(verb.name());
            }
            return 0;
        } catch (CniError e) {
            return fail(e, version, out, err);
        } catch (ErrnoException e) {
            return fail(new CniError(CniError.KERNEL_FAILURE, e.getMessage(), e.errno().name()), version, out, err);
        } catch (RuntimeException | Error e) {
            // Errors too: a runtime reads stdout as the answer, so an OutOfMemoryError, a stack
            // overflow or a native stub that did not load (UnsatisfiedLinkError, then
            // NoClassDefFoundError) must still print an error object.
            if (e instanceof OutOfMemoryError) {
                LastWords.releaseReserve();
            }
            e.printStackTrace(err);
            return fail(new CniError(CniError.INTERNAL, LastWords.summary(e), e.getClass().getSimpleName()), version, out, err);
        }
    }

    /** Runs one invocation with the configuration read from {@code stdin}, bounded by {@link Stdin#CAP}. */
    public static int run(CniPlugin plugin, Map<String, String> env, InputStream stdin, PrintStream out, PrintStream err) {
        byte[] config;
        try {
            config = env.get("CNI_COMMAND") == null ? new byte[0] : Stdin.read(stdin);
        } catch (CniError e) {
            return fail(e, null, out, err);
        }
        Trace.mark("stdin read");
        return run(plugin, env, config, out, err);
    }

    private static int fail(CniError e, String version, PrintStream out, PrintStream err) {
        String v = version != null && CniVersion.SUPPORTED.contains(version) ? version : CniVersion.CURRENT;
        out.println(Json.write(ResultJson.error(e, v)));
        err.println("weft: " + e.msg() + (e.details().isEmpty() ? "" : ": " + e.details()));
        return 1;
    }

    /** VERSION ignores the environment; it answers in the version it was asked in, if it speaks it. */
    private static JsonNode versionAnswer(byte[] stdin) {
        String asked = CniVersion.CURRENT;
        try {
            JsonNode n = stdin.length == 0 ? null : Json.read(stdin);
            if (n != null && n.hasNonNull("cniVersion")) {
                asked = n.get("cniVersion").asText();
            }
        } catch (java.io.IOException e) {
            // A probe with unreadable stdin still gets an answer.
        }
        var o = Json.object();
        o.put("cniVersion", asked);
        var a = o.putArray("supportedVersions");
        for (String v : CniVersion.SUPPORTED) {
            a.add(v);
        }
        return o;
    }

    private static void checkEnv(Verb verb, Map<String, String> env) {
        List<String> missing = new ArrayList<>();
        if (verb.needsAttachment()) {
            require(env, "CNI_CONTAINERID", missing);
            if (verb != Verb.DEL) {
                require(env, "CNI_NETNS", missing);
            }
            require(env, "CNI_IFNAME", missing);
        }
        require(env, "CNI_PATH", missing);
        if (!missing.isEmpty()) {
            throw new CniError(CniError.INVALID_ENV, "required env variables [" + String.join(",", missing) + "] missing");
        }
        if (verb.needsAttachment()) {
            String id = env.get("CNI_CONTAINERID");
            if (!validName(id)) {
                throw new CniError(CniError.INVALID_ENV, "invalid characters in containerID", id);
            }
            checkIfname(env.get("CNI_IFNAME"));
            String netns = env.getOrDefault("CNI_NETNS", "");
            if (verb != Verb.DEL && !Files.exists(Path.of(netns))) {
                throw new CniError(CniError.INVALID_ENV, "failed to open netns \"" + netns + "\": no such file or directory");
            }
            if (!netns.isEmpty() && !"1".equals(env.get("CNI_NETNS_OVERRIDE")) && isOwnNamespace(netns)) {
                // A recycled /proc/<pid>/ns/net can point back at the host (plugins#714).
                throw new CniError(CniError.INVALID_ENV, "CNI_NETNS " + netns + " is the plugin's own network namespace");
            }
        }
    }

    private static void require(Map<String, String> env, String key, List<String> missing) {
        String v = env.get(key);
        if (v == null || v.isEmpty()) {
            missing.add(key);
        }
    }

    static void checkIfname(String name) {
        String why = null;
        if (name.isEmpty()) {
            why = "interface name is empty";
        } else if (name.getBytes(StandardCharsets.UTF_8).length > 15) {
            why = "interface name is too long";
        } else if (name.equals(".") || name.equals("..")) {
            why = "interface name is . or ..";
        } else {
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c == '/' || c == ':' || Character.isWhitespace(c)) {
                    why = "interface name contains / or : or whitespace characters";
                    break;
                }
            }
        }
        if (why != null) {
            throw new CniError(CniError.INVALID_ENV, why, name);
        }
    }

    /**
     * The spec's rule for container IDs and network names, {@code ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$},
     * checked by hand: compiling the regex costs a plugin's short life more than the check itself.
     */
    static boolean validName(String s) {
        if (s.isEmpty() || !asciiAlnum(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!asciiAlnum(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean asciiAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isOwnNamespace(String netns) {
        try {
            Object mine = Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino");
            Object theirs = Files.getAttribute(Path.of(netns), "unix:ino");
            return mine.equals(theirs);
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static void gate(Verb verb, String version) {
        String min = switch (verb) {
            case CHECK -> "0.4.0";
            case GC, STATUS -> "1.1.0";
            default -> null;
        };
        if (min != null && !CniVersion.atLeast(version, min)) {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, "config version does not allow " + verb.name());
        }
    }

    private static void checkConfig(JsonNode config) {
        JsonNode type = config.get("type");
        if (type == null || !type.isTextual() || type.asText().isEmpty()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid network config: missing \"type\"");
        }
        JsonNode name = config.get("name");
        if (name == null || !name.isTextual() || !validName(name.asText())) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid network config: \"name\" is missing or not a valid network name");
        }
    }

    /** Parses a CIDR from config with a config error naming the key. */
    public static Cidr cidr(String value, String key) {
        try {
            return Cidr.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid " + key + " \"" + value + "\"", e.getMessage());
        }
    }
}
