package dev.weft.cni.flannel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.net.Cidr;

/**
 * Builds the delegate's config from the flannel config and subnet.env, key for key as flannel's
 * plugin does, with Weft's plugins as the default types.
 */
final class DelegateConfig {
    static final String DEFAULT_TYPE = "weft-bridge";
    static final String DEFAULT_IPAM = "weft-host-local";

    private DelegateConfig() {
    }

    static ObjectNode build(Request r, SubnetEnv env) {
        JsonNode in = r.config().path("delegate");
        if (!in.isMissingNode() && !in.isObject()) {
            throw new CniError(CniError.INVALID_CONFIG, "\"delegate\" must be an object");
        }
        ObjectNode d = in.isObject() ? ((ObjectNode) in).deepCopy() : Json.object();
        if (d.has("name")) {
            throw new CniError(CniError.INVALID_CONFIG, "\"delegate\" must not have the \"name\" field");
        }
        if (d.has("ipam")) {
            throw new CniError(CniError.INVALID_CONFIG, "\"delegate\" must not have the \"ipam\" field");
        }
        if (d.has("type") && !d.get("type").isTextual()) {
            throw new CniError(CniError.INVALID_CONFIG, "\"delegate.type\" must be a string");
        }
        d.put("name", r.networkName());
        if (!d.has("type")) {
            d.put("type", DEFAULT_TYPE);
        }
        if (!d.has("ipMasq")) {
            d.put("ipMasq", !env.ipMasq());
        }
        if (!d.has("mtu")) {
            d.put("mtu", env.mtu());
        }
        String type = d.get("type").asText();
        if ((type.equals("bridge") || type.equals(DEFAULT_TYPE)) && !d.has("isGateway")) {
            d.put("isGateway", true);
        }
        d.put("cniVersion", r.version());
        JsonNode rc = r.config().get("runtimeConfig");
        if (rc != null && rc.isObject()) {
            d.set("runtimeConfig", rc.deepCopy());
        }
        d.set("ipam", ipam(r.config().path("ipam"), env));
        return d;
    }

    private static ObjectNode ipam(JsonNode user, SubnetEnv env) {
        ObjectNode ipam = user.isObject() ? ((ObjectNode) user).deepCopy() : Json.object();
        if (!ipam.has("type")) {
            ipam.put("type", DEFAULT_IPAM);
        }
        ArrayNode ranges = ipam.putArray("ranges");
        if (env.subnet() != null) {
            ranges.addArray().addObject().put("subnet", env.subnet().toString());
        }
        if (env.subnetV6() != null) {
            ranges.addArray().addObject().put("subnet", env.subnetV6().toString());
        }
        ArrayNode routes = Json.array();
        if (user.path("routes").isArray()) {
            user.path("routes").forEach(x -> routes.add(x.deepCopy()));
        }
        if (env.subnet() != null) {
            for (Cidr n : env.networks()) {
                routes.addObject().put("dst", n.toString());
            }
        }
        if (env.subnetV6() != null) {
            for (Cidr n : env.networksV6()) {
                routes.addObject().put("dst", n.toString());
            }
        }
        ipam.set("routes", routes);
        return ipam;
    }
}
