package dev.weft.ipam.blocks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The small Calico IPAM records as JSON, both ways, with no I/O: block affinities
 * {@code {"state":"confirmed","deleted":false}}, handles {@code {"block":{"10.0.0.0/26":1},"deleted":false}}
 * and the IPAM config {@code {"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":20}}
 * (Go's {@code omitempty}: false and 0 are left out). Values are bounded before parsing.
 */
final class ValueCodec {
    static final int MAX_AFFINITY_CHARS = 1024;
    /** A handle names at most a few blocks (one per family in practice). */
    static final int MAX_HANDLE_CHARS = 16 * 1024;
    static final int MAX_HANDLE_BLOCKS = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ValueCodec() {
    }

    static String encodeAffinity(AffinityState state) {
        return "{\"state\":\"" + state.json() + "\",\"deleted\":false}";
    }

    static AffinityState decodeAffinity(String value) throws CorruptValueException {
        JsonNode root = parse(value, MAX_AFFINITY_CHARS);
        JsonNode s = root.get("state");
        // Calico's oldest affinities had no state; they mean confirmed (see bird_aggr's "or has no state").
        if (s == null || s.isNull() || (s.isTextual() && s.textValue().isEmpty())) {
            return AffinityState.CONFIRMED;
        }
        AffinityState st = s.isTextual() ? AffinityState.fromJson(s.textValue()) : null;
        if (st == null) {
            throw new CorruptValueException("affinity state " + s + " is not pending, confirmed or pendingDeletion");
        }
        JsonNode del = root.get("deleted");
        if (del != null && del.asBoolean(false)) {
            return AffinityState.PENDING_DELETION;
        }
        return st;
    }

    static String encodeHandle(IpamHandle h) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode blocks = root.putObject("block");
        h.blocks().forEach(blocks::put);
        root.put("deleted", h.deleted());
        return root.toString();
    }

    static IpamHandle decodeHandle(String value) throws CorruptValueException {
        JsonNode root = parse(value, MAX_HANDLE_CHARS);
        JsonNode b = root.get("block");
        Map<String, Integer> blocks = new TreeMap<>();
        if (b != null && !b.isNull()) {
            if (!b.isObject() || b.size() > MAX_HANDLE_BLOCKS) {
                throw new CorruptValueException("block is not an object of at most " + MAX_HANDLE_BLOCKS + " entries");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber() || e.getValue().intValue() < 0) {
                    throw new CorruptValueException("block." + e.getKey() + " is not a count");
                }
                blocks.put(e.getKey(), e.getValue().intValue());
            }
        }
        JsonNode del = root.get("deleted");
        return new IpamHandle(blocks, del != null && del.asBoolean(false));
    }

    static String encodeConfig(PoolConfig c) {
        // Calico's IPAMConfig with omitempty: a false or zero field is not written at all.
        StringBuilder s = new StringBuilder("{");
        if (c.strictAffinity()) {
            s.append("\"strict_affinity\":true,");
        }
        s.append("\"auto_allocate_blocks\":true,\"maxBlocksPerHost\":").append(c.maxBlocksPerHost()).append('}');
        return s.toString();
    }

    /** A JSON object of at most {@code max} characters (checked before parsing), or a corrupt value. */
    static JsonNode parse(String value, int max) throws CorruptValueException {
        if (value.length() > max) {
            throw new CorruptValueException("value is " + value.length() + " characters, more than " + max);
        }
        JsonNode root;
        try {
            root = JSON.readTree(value);
        } catch (JsonProcessingException e) {
            throw new CorruptValueException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CorruptValueException("not a JSON object");
        }
        return root;
    }
}
