package dev.weft.cni.invoke;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Verb;
import dev.weft.cni.spec.CniVersion;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Delegation to another plugin: in this process when it is one of Weft's own (same code, no second
 * JVM start), else as an executable from CNI_PATH. Either way the delegate sees exactly the
 * config bytes it would have read on stdin.
 */
public final class InProcess {
    private static Function<String, CniPlugin> registry;

    private InProcess() {
    }

    /** Set once by the entry point: maps a plugin type to Weft's implementation, or null. */
    public static void useRegistry(Function<String, CniPlugin> r) {
        registry = r;
    }

    private static CniPlugin own(String type) {
        return registry == null ? null : registry.apply(type);
    }

    public static Result add(String type, Request parent, byte[] config) {
        CniPlugin p = own(type);
        if (p == null) {
            return Delegate.add(type, parent, config);
        }
        return p.add(child(parent, Verb.ADD, config, p));
    }

    public static void run(String type, Verb verb, Request parent, byte[] config) {
        CniPlugin p = own(type);
        if (p == null) {
            Delegate.run(type, verb, parent, config);
            return;
        }
        Request c = child(parent, verb, config, p);
        switch (verb) {
            case DEL -> p.del(c);
            case CHECK -> p.check(c);
            case GC -> p.gc(c);
            case STATUS -> p.status(c);
            default -> throw new IllegalArgumentException(verb.name());
        }
    }

    private static Request child(Request parent, Verb verb, byte[] config, CniPlugin p) {
        JsonNode json = Json.parse(config, "delegate configuration");
        String version = json.path("cniVersion").asText(parent.version());
        CniVersion.requireSupported(version);
        Map<String, String> env = new HashMap<>(parent.env());
        env.put("CNI_COMMAND", verb.name());
        return new Request(verb, parent.containerId(), parent.netns(), parent.ifname(),
                Request.parseArgs(parent.rawArgs(), p.knownArgs()), parent.rawArgs(), parent.cniPath(), config, json, version, env);
    }
}
