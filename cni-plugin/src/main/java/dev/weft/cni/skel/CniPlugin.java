package dev.weft.cni.skel;

import dev.weft.cni.spec.Result;
import java.util.Set;

/**
 * What a plugin implements. {@link PluginRunner} has already validated the environment, the
 * config's version and the verb's version gate; a method only does its own work and throws a
 * {@code CniError} (or any exception, which becomes code 999 / 100) on failure.
 */
public interface CniPlugin {
    /** Short name for the "about" text. */
    String name();

    /** CNI_ARGS keys the plugin understands; others are errors unless IgnoreUnknown is set. */
    default Set<String> knownArgs() {
        return Set.of();
    }

    Result add(Request r);

    void del(Request r);

    void check(Request r);

    default void gc(Request r) {
    }

    default void status(Request r) {
    }
}
