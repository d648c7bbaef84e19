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
    /**
     * A registry for the invocation running on this thread, ahead of the process-wide one: weftd
     * runs plugins for thick shims with its own (weft-ipam bound to its block IPAM without the
     * socket) beside anything else in the same JVM.
     */
    private static final ThreadLocal<Function<String, CniPlugin>> SCOPED = new ThreadLocal<>();

    private InProcess() {
    }

    /** Set once by the entry point: maps a plugin type to Weft's implementation, or null. */
    public static void useRegistry(Function<String, CniPlugin> r) {
        registry = r;
    }

    /** Runs {@code body} on this thread with {@code r} as the registry, restored afterwards. */
    public static <T> T withRegistry(Function<String, CniPlugin> r, java.util.function.Supplier<T> body) {
        Function<String, CniPlugin> was = SCOPED.get();
        SCOPED.set(r);
        try {
            return body.get();
        } finally {
            if (was == null) {
                SCOPED.remove();
            } else {
                SCOPED.set(was);
            }
        }
    }

    private static CniPlugin own(String type) {
        Function<String, CniPlugin> r = SCOPED.get();
        if (r == null) {
            r = registry;
        }
        return r == null ? null : r.apply(type);
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
