package dev.weft.cni.skel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.cni.spec.ResultJson;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.hostlocal.CniArgs;
import java.util.Map;
import java.util.Set;

/**
 * One invocation: the validated environment plus the parsed stdin. {@code stdin} keeps the exact
 * bytes so that delegates get them unchanged, as the spec requires.
 *
 * @param netns   CNI_NETNS, or "" when absent (allowed for DEL)
 * @param version the config's cniVersion, already checked to be supported
 */
public record Request(Verb verb, String containerId, String netns, String ifname, CniArgs args, String rawArgs,
                      String cniPath, byte[] stdin, JsonNode config, String version, Map<String, String> env) {

    /** The network name from the config. */
    public String networkName() {
        JsonNode n = config.get("name");
        return n == null ? "" : n.asText();
    }

    public String type() {
        return config.path("type").asText();
    }

    public JsonNode runtimeConfig() {
        JsonNode r = config.get("runtimeConfig");
        return r == null ? MissingNode.getInstance() : r;
    }

    public boolean hasPrevResult() {
        JsonNode p = config.get("prevResult");
        return p != null && p.isObject();
    }

    /** prevResult parsed at the config's version and raised to the 1.1 model, or null. */
    public Result prevResult() {
        if (!hasPrevResult()) {
            return null;
        }
        try {
            return ResultJson.parse(config.get("prevResult"));
        } catch (CniError e) {
            throw new CniError(CniError.DECODE_FAILURE, "could not parse prevResult", e.details());
        }
    }

    /** CNI_ARGS for a plugin that knows {@code known}; a bad one is an environment error (code 4). */
    public static CniArgs parseArgs(String raw, Set<String> known) {
        try {
            return CniArgs.parse(raw, known);
        } catch (IpamException e) {
            throw new CniError(CniError.INVALID_ENV, e.getMessage());
        }
    }
}
