package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Set;

/**
 * One entry of {@code ip -j neigh show}.
 *
 * @param state e.g. [PERMANENT], [REACHABLE], [STALE], [NOARP] (ip prints a JSON array here)
 * @param flags valueless markers ip prints as {@code "router": null} / {@code "proxy": null}, and
 *              boolean-true keys such as {@code "extern_learn"}
 */
public record NeighInfo(String dst, String dev, String lladdr, List<String> state, Set<String> flags, JsonNode raw) {
    private static final Set<String> KNOWN = Set.of("dst", "dev", "lladdr", "state");

    static NeighInfo parse(JsonNode n, String dev) {
        String d = Json.text(n, "dev");
        return new NeighInfo(
                Json.text(n, "dst"),
                d != null ? d : dev,
                Json.text(n, "lladdr"),
                Json.stringList(n.path("state")),
                Json.markerKeys(n, KNOWN),
                n);
    }

    public boolean isPermanent() {
        return state.contains("PERMANENT");
    }
}
