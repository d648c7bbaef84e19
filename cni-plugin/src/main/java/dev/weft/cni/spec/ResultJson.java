package dev.weft.cni.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Results on the wire. Output is always in the config's version: 0.3.x/0.4.0 add "version" to
 * each IP; fields born in 1.1.0 are dropped below it. Field order follows the reference's structs,
 * empty fields are omitted as the reference's omitempty does.
 */
public final class ResultJson {
    private ResultJson() {
    }

    public static ObjectNode toJson(Result r, String version) {
        boolean ipVersion = CniVersion.hasIpVersionField(version);
        boolean extended = CniVersion.hasExtendedFields(version);
        ObjectNode o = Json.object();
        o.put("cniVersion", version);
        if (!r.interfaces().isEmpty()) {
            ArrayNode a = o.putArray("interfaces");
            for (Result.Iface i : r.interfaces()) {
                ObjectNode n = a.addObject();
                n.put("name", i.name());
                putIf(n, "mac", i.mac());
                if (extended && i.mtu() != null && i.mtu() != 0) {
                    n.put("mtu", i.mtu());
                }
                putIf(n, "sandbox", i.sandbox());
                if (extended) {
                    putIf(n, "socketPath", i.socketPath());
                    putIf(n, "pciID", i.pciID());
                }
            }
        }
        if (!r.ips().isEmpty()) {
            ArrayNode a = o.putArray("ips");
            for (Result.IpConfig ip : r.ips()) {
                ObjectNode n = a.addObject();
                if (ipVersion) {
                    n.put("version", ip.address().address().isV4() ? "4" : "6");
                }
                if (ip.interfaceIndex() != null) {
                    n.put("interface", ip.interfaceIndex());
                }
                n.put("address", ip.address().toString());
                if (ip.gateway() != null) {
                    n.put("gateway", ip.gateway().toString());
                }
            }
        }
        if (!r.routes().isEmpty()) {
            ArrayNode a = o.putArray("routes");
            for (Result.RouteEntry rt : r.routes()) {
                ObjectNode n = a.addObject();
                n.put("dst", rt.dst().toString());
                if (rt.gw() != null) {
                    n.put("gw", rt.gw().toString());
                }
                if (extended) {
                    putIf(n, "mtu", rt.mtu());
                    putIf(n, "advmss", rt.advmss());
                    putIf(n, "priority", rt.priority());
                    putIf(n, "table", rt.table());
                    putIf(n, "scope", rt.scope());
                }
            }
        }
        if (!r.dns().isEmpty()) {
            ObjectNode d = o.putObject("dns");
            Result.Dns dns = r.dns();
            if (!dns.nameservers().isEmpty()) {
                addAll(d.putArray("nameservers"), dns.nameservers());
            }
            putIf(d, "domain", dns.domain());
            if (!dns.search().isEmpty()) {
                addAll(d.putArray("search"), dns.search());
            }
            if (!dns.options().isEmpty()) {
                addAll(d.putArray("options"), dns.options());
            }
        }
        return o;
    }

    /** Parses a result of any supported version (a prevResult, or a delegate's output) into the 1.1 model. */
    public static Result parse(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new CniError(CniError.DECODE_FAILURE, "error parsing result", "not a JSON object");
        }
        try {
            List<Result.Iface> ifaces = new ArrayList<>();
            for (JsonNode n : o.path("interfaces")) {
                ifaces.add(new Result.Iface(n.path("name").asText(), textOrNull(n, "mac"), intOrNull(n, "mtu"),
                        textOrNull(n, "sandbox"), textOrNull(n, "socketPath"), textOrNull(n, "pciID")));
            }
            List<Result.IpConfig> ips = new ArrayList<>();
            for (JsonNode n : o.path("ips")) {
                String gw = textOrNull(n, "gateway");
                ips.add(new Result.IpConfig(Cidr.parse(n.path("address").asText()), gw == null ? null : IpAddress.parse(gw),
                        intOrNull(n, "interface")));
            }
            List<Result.RouteEntry> routes = new ArrayList<>();
            for (JsonNode n : o.path("routes")) {
                String gw = textOrNull(n, "gw");
                routes.add(new Result.RouteEntry(Cidr.parse(n.path("dst").asText()), gw == null ? null : IpAddress.parse(gw),
                        intOrNull(n, "mtu"), intOrNull(n, "advmss"), intOrNull(n, "priority"), intOrNull(n, "table"),
                        intOrNull(n, "scope")));
            }
            JsonNode d = o.path("dns");
            Result.Dns dns = d.isObject() ? new Result.Dns(strings(d.path("nameservers")), textOrNull(d, "domain"),
                    strings(d.path("search")), strings(d.path("options"))) : Result.Dns.EMPTY;
            return new Result(ifaces, ips, routes, dns);
        } catch (IllegalArgumentException e) {
            throw new CniError(CniError.DECODE_FAILURE, "error parsing result", e.getMessage());
        }
    }

    private static List<String> strings(JsonNode a) {
        List<String> l = new ArrayList<>();
        for (JsonNode x : a) {
            l.add(x.asText());
        }
        return l;
    }

    private static void addAll(ArrayNode to, List<String> values) {
        for (String v : values) {
            to.add(v);
        }
    }

    private static String textOrNull(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
    }

    private static Integer intOrNull(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asInt();
    }

    private static void putIf(ObjectNode n, String f, String v) {
        if (v != null && !v.isEmpty()) {
            n.put(f, v);
        }
    }

    private static void putIf(ObjectNode n, String f, Integer v) {
        if (v != null && v != 0) {
            n.put(f, v);
        }
    }

    /** The error object, in the config's version when it is known. */
    public static ObjectNode error(CniError e, String version) {
        ObjectNode o = Json.object();
        o.put("cniVersion", version == null ? CniVersion.CURRENT : version);
        o.put("code", e.code());
        o.put("msg", e.msg() == null ? "" : e.msg());
        if (!e.details().isEmpty()) {
            o.put("details", e.details());
        }
        return o;
    }
}
