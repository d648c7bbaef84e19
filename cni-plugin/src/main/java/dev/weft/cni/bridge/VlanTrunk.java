package dev.weft.cni.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The {@code vlanTrunk} key: entries {@code {"id":N}} and/or {@code {"minID":a,"maxID":b}}, merged
 * into the set of tagged VLANs of the pod's port. Validation and messages are the reference's
 * ({@code collectVlanTrunk}); an entry may carry both an id and a range, an empty entry adds nothing.
 *
 * @param ranges disjoint, ascending runs of VLAN IDs, so a trunk of 4094 VLANs is a handful of
 *               netlink requests
 */
record VlanTrunk(List<Range> ranges) {
    static final VlanTrunk NONE = new VlanTrunk(List.of());

    /** VLANs {@code from..to}, both included. */
    record Range(int from, int to) {
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    static VlanTrunk parse(JsonNode trunk) {
        if (trunk == null || trunk.isNull()) {
            return NONE;
        }
        if (!trunk.isArray()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid config: \"vlanTrunk\" must be a list");
        }
        BitSet vids = new BitSet(4095);
        for (JsonNode item : trunk) {
            if (!item.isObject()) {
                throw new CniError(CniError.INVALID_CONFIG, "invalid config: \"vlanTrunk\" entries must be objects");
            }
            Integer min = optionalInt(item, "minID");
            Integer max = optionalInt(item, "maxID");
            Integer id = optionalInt(item, "id");
            if (min != null && max != null) {
                if (min <= 0 || min > 4094) {
                    throw invalid("incorrect trunk minID parameter");
                }
                if (max <= 0 || max > 4094) {
                    throw invalid("incorrect trunk maxID parameter");
                }
                if (max < min) {
                    throw invalid("minID is greater than maxID in trunk parameter");
                }
                vids.set(min, max + 1);
            } else if (max != null) {
                throw invalid("minID and maxID should be configured simultaneously, minID is missing");
            } else if (min != null) {
                throw invalid("minID and maxID should be configured simultaneously, maxID is missing");
            }
            if (id != null) {
                if (id <= 0 || id > 4094) {
                    throw invalid("incorrect trunk id parameter");
                }
                vids.set(id);
            }
        }
        List<Range> ranges = new ArrayList<>();
        for (int from = vids.nextSetBit(0); from >= 0; from = vids.nextSetBit(from)) {
            int end = vids.nextClearBit(from);
            ranges.add(new Range(from, end - 1));
            from = end;
        }
        return new VlanTrunk(List.copyOf(ranges));
    }

    private static Integer optionalInt(JsonNode item, String key) {
        return item.hasNonNull(key) ? Json.integer(item, key, 0) : null;
    }

    private static CniError invalid(String msg) {
        return new CniError(CniError.INVALID_CONFIG, msg);
    }
}
