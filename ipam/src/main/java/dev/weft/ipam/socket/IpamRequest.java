package dev.weft.ipam.socket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.json.JsonTree;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.Family;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What the plugin asks weftd; {@link #parse} is the daemon's only way in. */
public sealed interface IpamRequest {
    /** Longest string field accepted (handles, names). */
    int MAX_FIELD_CHARS = 512;

    /** ADD: one address per family for {@code handle} ({@code <network>.<containerID>}); no family: each weftd serves. */
    record Allocate(String handle, String containerId, String ifName, String namespace, String pod, List<Family> families)
            implements IpamRequest {
        public Allocate {
            families = List.copyOf(families);
        }
    }

    /** DEL: every address of {@code handle}. */
    record Release(String handle) implements IpamRequest {
    }

    /** CHECK: the addresses {@code handle} holds. */
    record Check(String handle) implements IpamRequest {
    }

    /** GC: releases every handle of this node under {@code network} that is not in {@code valid}. */
    record Gc(String network, Set<String> valid) implements IpamRequest {
        public Gc {
            valid = Set.copyOf(valid);
        }
    }

    /** STATUS: whether weftd can allocate. */
    record Status() implements IpamRequest {
    }

    default byte[] encode() {
        ObjectNode o = JsonTree.object();
        if (this instanceof Allocate a) {
            o.put("op", "allocate").put("handle", a.handle()).put("containerID", a.containerId()).put("ifName", a.ifName());
            if (a.namespace() != null) {
                o.put("namespace", a.namespace());
            }
            if (a.pod() != null) {
                o.put("pod", a.pod());
            }
            if (!a.families().isEmpty()) {
                ArrayNode f = o.putArray("families");
                for (Family fam : a.families()) {
                    f.add(fam.keyName());
                }
            }
        } else if (this instanceof Release r) {
            o.put("op", "release").put("handle", r.handle());
        } else if (this instanceof Check c) {
            o.put("op", "check").put("handle", c.handle());
        } else if (this instanceof Gc g) {
            o.put("op", "gc").put("network", g.network());
            ArrayNode v = o.putArray("valid");
            for (String h : new java.util.TreeSet<>(g.valid())) {
                v.add(h);
            }
        } else {
            o.put("op", "status");
        }
        return JsonTree.bytes(o);
    }

    /** A request from a frame's payload (already bounded by {@link IpamFrame}); code 6 or 7 when it is not one. */
    static IpamRequest parse(byte[] payload) throws IpamException {
        return parse(object(payload));
    }

    /** A frame's payload as the JSON object every request on the socket is; code 6 when it is not one. */
    static JsonNode object(byte[] payload) throws IpamException {
        JsonNode o;
        try {
            o = JsonTree.read(payload);
        } catch (IOException e) {
            throw new IpamException(CniErrorCodes.DECODE_FAILURE, "the request is not valid JSON", e.getMessage());
        }
        if (o == null || !o.isObject()) {
            throw new IpamException(CniErrorCodes.DECODE_FAILURE, "the request is not a JSON object");
        }
        return o;
    }

    /** A request from a frame's JSON object (already read by the server, which looks at "op" first). */
    static IpamRequest parse(JsonNode o) throws IpamException {
        String op = text(o, "op", true);
        return switch (op) {
            case "allocate" -> new Allocate(text(o, "handle", true), text(o, "containerID", true), text(o, "ifName", true),
                    text(o, "namespace", false), text(o, "pod", false), families(o));
            case "release" -> new Release(text(o, "handle", true));
            case "check" -> new Check(text(o, "handle", true));
            case "gc" -> new Gc(text(o, "network", true), strings(o, "valid"));
            case "status" -> new Status();
            default -> throw new IpamException(CniErrorCodes.INVALID_CONFIG, "unknown op \"" + op
                    + "\" (known: allocate, release, check, gc, status)");
        };
    }

    private static String text(JsonNode o, String field, boolean required) throws IpamException {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IpamException(CniErrorCodes.INVALID_CONFIG, "the request has no \"" + field + "\"");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > MAX_FIELD_CHARS) {
            throw new IpamException(CniErrorCodes.INVALID_CONFIG, "\"" + field + "\" must be a string of 1.." + MAX_FIELD_CHARS
                    + " characters");
        }
        return v.asText();
    }

    private static List<Family> families(JsonNode o) throws IpamException {
        List<Family> out = new ArrayList<>();
        if (!o.has("families")) {
            return out; // every family weftd's pools cover
        }
        for (String s : strings(o, "families")) {
            out.add(switch (s) {
                case "ipv4" -> Family.V4;
                case "ipv6" -> Family.V6;
                default -> throw new IpamException(CniErrorCodes.INVALID_CONFIG, "unknown family \"" + s + "\" (ipv4, ipv6)");
            });
        }
        if (out.isEmpty()) {
            throw new IpamException(CniErrorCodes.INVALID_CONFIG, "\"families\" names no family");
        }
        return out;
    }

    private static Set<String> strings(JsonNode o, String field) throws IpamException {
        JsonNode v = o.get(field);
        if (v == null || !v.isArray()) {
            throw new IpamException(CniErrorCodes.INVALID_CONFIG, "\"" + field + "\" must be an array of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.asText().length() > MAX_FIELD_CHARS) {
                throw new IpamException(CniErrorCodes.INVALID_CONFIG, "\"" + field + "\" must hold strings of at most "
                        + MAX_FIELD_CHARS + " characters");
            }
            out.add(e.asText());
        }
        return out;
    }
}
