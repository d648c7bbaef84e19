package dev.weft.ipam.blocks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.net.Cidr;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Calico's {@code AllocationBlock} JSON, both ways, with no I/O. Fields are written in the order
 * Go's encoder writes the struct ({@code cidr, affinity, allocations, unallocated, attributes,
 * sequenceNumber, sequenceNumberForAllocation, deleted}), map keys sorted as Go sorts them (as
 * strings), so a block Weft writes is byte for byte what libcalico-go would write.
 *
 * <p>Decoding checks the size first ({@link #maxChars}) and then everything an allocation relies
 * on: the CIDR is the key's, one entry per address, attribute indexes in range, free ordinals
 * unique and really free. Anything else is a {@link CorruptValueException}, and the block is left alone.
 */
final class BlockCodec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private BlockCodec() {
    }

    /**
     * The largest block value accepted for a block of {@code addresses}: a fixed part plus, per
     * address, its entries in the lists and a full attribute entry (handle and attributes at their
     * caps). Anything longer was not written by an allocator that keeps those caps.
     */
    static int maxChars(int addresses) {
        return 4096 + addresses * (BlockAllocator.MAX_HANDLE_CHARS + Attributes.MAX_CHARS + 256); // 7.3 MB for a /20
    }

    static String encode(AllocationBlock b) {
        StringWriter w = new StringWriter(256 + b.size() * 16);
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("cidr", b.cidr().toString());
            if (b.affinity() == null) {
                g.writeNullField("affinity");
            } else {
                g.writeStringField("affinity", b.affinity());
            }
            g.writeArrayFieldStart("allocations");
            for (int o = 0; o < b.size(); o++) {
                int a = b.allocation(o);
                if (a == AllocationBlock.FREE) {
                    g.writeNull();
                } else {
                    g.writeNumber(a);
                }
            }
            g.writeEndArray();
            g.writeArrayFieldStart("unallocated");
            for (int o : b.unallocated()) {
                g.writeNumber(o);
            }
            g.writeEndArray();
            if (b.attributesNil()) {
                g.writeNullField("attributes");
            } else {
                g.writeArrayFieldStart("attributes");
            }
            for (AllocationAttribute a : b.attributes()) {
                g.writeStartObject();
                if (a.handleId() == null) {
                    g.writeNullField("handle_id");
                } else {
                    g.writeStringField("handle_id", a.handleId());
                }
                if (a.secondary() == null) {
                    g.writeNullField("secondary");
                } else {
                    g.writeObjectFieldStart("secondary");
                    for (Map.Entry<String, String> e : a.secondary().entrySet()) {
                        g.writeStringField(e.getKey(), e.getValue());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            if (!b.attributesNil()) {
                g.writeEndArray();
            }
            g.writeFieldName("sequenceNumber");
            g.writeRawValue(Long.toUnsignedString(b.sequenceNumber()));
            g.writeObjectFieldStart("sequenceNumberForAllocation");
            TreeMap<String, Long> goOrder = new TreeMap<>();
            b.sequenceForAllocation().forEach((k, v) -> goOrder.put(Integer.toString(k), v));
            for (Map.Entry<String, Long> e : goOrder.entrySet()) {
                g.writeFieldName(e.getKey());
                g.writeRawValue(Long.toUnsignedString(e.getValue()));
            }
            g.writeEndObject();
            g.writeBooleanField("deleted", b.deleted());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /** Decodes the value stored under the key of block {@code expected}. */
    static AllocationBlock decode(Cidr expected, String value) throws CorruptValueException {
        Family family = Family.of(expected);
        if (expected.prefixLength() < family.minBlockSize()) {
            // Keys come from etcd too: a /8 "block" would mean 16 million entries.
            throw new CorruptValueException("a /" + expected.prefixLength() + " block is larger than any block size ("
                    + family.minBlockSize() + "–" + family.bits() + ")");
        }
        int n = 1 << (expected.address().bitLength() - expected.prefixLength());
        // bounded by what a block of this size can need
        JsonNode root = ValueCodec.parse(value, maxChars(n));
        Cidr cidr;
        try {
            cidr = Cidr.parse(text(root, "cidr"));
        } catch (IllegalArgumentException e) {
            throw new CorruptValueException("cidr: " + e.getMessage());
        }
        if (!cidr.equals(expected)) {
            throw new CorruptValueException("cidr " + cidr + " does not match its key (" + expected + ")");
        }
        JsonNode aff = root.get("affinity");
        String affinity = null;
        if (aff != null && !aff.isNull()) {
            if (!aff.isTextual()) {
                throw new CorruptValueException("affinity is not a string");
            }
            affinity = aff.textValue();
        }

        JsonNode rawAttrs = root.get("attributes");
        boolean attrsNil = rawAttrs == null || rawAttrs.isNull();
        JsonNode attrsNode = array(root, "attributes", true);
        List<AllocationAttribute> attrs = new ArrayList<>();
        for (JsonNode a : attrsNode) {
            attrs.add(attribute(a));
        }

        JsonNode allocNode = array(root, "allocations", false);
        if (allocNode.size() != n) {
            throw new CorruptValueException("allocations has " + allocNode.size() + " entries, the block has " + n + " addresses");
        }
        int[] alloc = new int[n];
        for (int o = 0; o < n; o++) {
            JsonNode a = allocNode.get(o);
            if (a.isNull()) {
                alloc[o] = AllocationBlock.FREE;
            } else if (a.isIntegralNumber() && a.canConvertToInt() && a.intValue() >= 0 && a.intValue() < attrs.size()) {
                alloc[o] = a.intValue();
            } else {
                throw new CorruptValueException("allocations[" + o + "] = " + a + " is not an attribute index (0.." + (attrs.size() - 1) + ")");
            }
        }

        JsonNode freeNode = array(root, "unallocated", true);
        int[] free = new int[freeNode.size()];
        boolean[] seen = new boolean[n];
        for (int i = 0; i < free.length; i++) {
            JsonNode f = freeNode.get(i);
            if (!f.isIntegralNumber() || !f.canConvertToInt() || f.intValue() < 0 || f.intValue() >= n) {
                throw new CorruptValueException("unallocated[" + i + "] = " + f + " is not an ordinal of the block");
            }
            int o = f.intValue();
            if (seen[o]) {
                throw new CorruptValueException("ordinal " + o + " is twice in unallocated");
            }
            if (alloc[o] != AllocationBlock.FREE) {
                throw new CorruptValueException("ordinal " + o + " is both allocated and in unallocated");
            }
            seen[o] = true;
            free[i] = o;
        }

        long seq = unsigned(root.get("sequenceNumber"), "sequenceNumber");
        Map<Integer, Long> seqs = new TreeMap<>();
        JsonNode seqNode = root.get("sequenceNumberForAllocation");
        if (seqNode != null && !seqNode.isNull()) {
            if (!seqNode.isObject()) {
                throw new CorruptValueException("sequenceNumberForAllocation is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = seqNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int o = ordinal(e.getKey(), n);
                seqs.put(o, unsigned(e.getValue(), "sequenceNumberForAllocation." + e.getKey()));
            }
        }
        JsonNode del = root.get("deleted");
        if (del != null && !del.isNull() && !del.isBoolean()) {
            throw new CorruptValueException("deleted is not a boolean");
        }
        return new AllocationBlock(cidr, affinity, alloc, free, attrs, attrsNil, seq, seqs, del != null && del.asBoolean());
    }

    private static AllocationAttribute attribute(JsonNode a) throws CorruptValueException {
        if (!a.isObject()) {
            throw new CorruptValueException("an attributes entry is not an object");
        }
        JsonNode h = a.get("handle_id");
        if (h != null && !h.isNull() && !h.isTextual()) {
            throw new CorruptValueException("handle_id is not a string");
        }
        JsonNode s = a.get("secondary");
        Map<String, String> sec = null;
        if (s != null && !s.isNull()) {
            if (!s.isObject()) {
                throw new CorruptValueException("secondary is not an object");
            }
            sec = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new CorruptValueException("secondary." + e.getKey() + " is not a string");
                }
                sec.put(e.getKey(), e.getValue().textValue());
            }
        }
        return new AllocationAttribute(h == null || h.isNull() ? null : h.textValue(), sec);
    }

    private static int ordinal(String key, int n) throws CorruptValueException {
        if (key.isEmpty() || key.length() > 5) {
            throw new CorruptValueException("sequenceNumberForAllocation key \"" + key + "\" is not an ordinal");
        }
        int v = 0;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < '0' || c > '9') {
                throw new CorruptValueException("sequenceNumberForAllocation key \"" + key + "\" is not an ordinal");
            }
            v = v * 10 + (c - '0');
        }
        if (v >= n) {
            throw new CorruptValueException("sequenceNumberForAllocation key " + v + " is outside the block");
        }
        return v;
    }

    /** A Go uint64: a non-negative integer up to 2^64-1, held in a long as its unsigned bits. */
    private static long unsigned(JsonNode v, String what) throws CorruptValueException {
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0 || v.bigIntegerValue().bitLength() > 64) {
            throw new CorruptValueException(what + " = " + v + " is not an unsigned 64-bit integer");
        }
        return v.bigIntegerValue().longValue();
    }

    private static String text(JsonNode obj, String key) throws CorruptValueException {
        JsonNode v = obj.get(key);
        if (v == null || !v.isTextual()) {
            throw new CorruptValueException(key + " is missing or not a string");
        }
        return v.textValue();
    }

    private static JsonNode array(JsonNode obj, String key, boolean nullIsEmpty) throws CorruptValueException {
        JsonNode v = obj.get(key);
        if ((v == null || v.isNull()) && nullIsEmpty) {
            return JSON.createArrayNode();
        }
        if (v == null || !v.isArray()) {
            throw new CorruptValueException(key + " is missing or not a list");
        }
        return v;
    }
}
