package dev.weft.ipam.hostlocal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Builds plugin stdin the way a delegating plugin passes it: the whole config, ipam inside. */
final class Configs {
    private Configs() {}

    static final ObjectMapper JSON = new ObjectMapper();
    /** The newest version the Debian reference (1.1.1) accepts. */
    static final String VERSION = "1.0.0";

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {"cniVersion","name","type":"bridge","ipam":{"type":"host-local","dataDir",<ipamExtra>}}. */
    static ObjectNode net(String name, Path dataDir, String ipamMembers) {
        return (ObjectNode) json("{\"cniVersion\":\"" + VERSION + "\",\"name\":\"" + name + "\",\"type\":\"bridge\","
                + "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"" + dataDir + "\""
                + (ipamMembers.isEmpty() ? "" : "," + ipamMembers) + "}}");
    }

    /** A network with {@code "ranges": <rangesJson>}. */
    static ObjectNode ranges(String name, Path dataDir, String rangesJson) {
        return net(name, dataDir, "\"ranges\":" + rangesJson);
    }

    /** A network with one range set holding one range of the given subnet. */
    static ObjectNode subnet(String name, Path dataDir, String subnet) {
        return ranges(name, dataDir, "[[{\"subnet\":\"" + subnet + "\"}]]");
    }

    static IpamRequest request(JsonNode config, String containerId) {
        return new IpamRequest(null, containerId, "eth0", config, null);
    }

    static IpamRequest request(JsonNode config, String containerId, String ifname, String cniArgs) {
        return new IpamRequest(null, containerId, ifname, config, cniArgs);
    }
}
