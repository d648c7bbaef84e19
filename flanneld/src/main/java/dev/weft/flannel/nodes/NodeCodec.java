package dev.weft.flannel.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.subnet.kv.KvEntry;

/**
 * A registration's value is a lease's attrs, byte for byte as a subnet lease has them, so every
 * tool that reads a lease value reads it. Reading one from etcd is bounded before parsing (key
 * length here, the value by the lease checks) and judged by the very checks a lease value gets
 * ({@link LeaseValidator#judgeValue}: length, JSON, unicast PublicIP and PublicIPv6, a bounded
 * BackendType, the backend's BackendData check), plus a BackendData.NodeName (when present) that
 * matches the key.
 */
public final class NodeCodec {
    /** Why a registration is not used; the label of {@code weft_node_registrations_rejected_total}. */
    public enum Reason {
        MALFORMED_KEY("malformed_key"),
        MALFORMED_VALUE("malformed_value"),
        BAD_PUBLIC_IP("bad_public_ip"),
        BAD_BACKEND_DATA("bad_backend_data"),
        NAME_MISMATCH("name_mismatch"),
        DUPLICATE_PUBLIC_IP("duplicate_public_ip");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** A registration that is not used, and why. */
    public static final class Rejected extends Exception {
        private final Reason reason;

        Rejected(Reason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private final NodeKeys keys;
    /** Only its value checks are used (never its log or counts: rejections are counted here, by reason). */
    private final LeaseValidator values = new LeaseValidator();

    public NodeCodec(NodeKeys keys) {
        this.keys = keys;
    }

    public static String encode(LeaseAttrs attrs) {
        return attrs.toJson();
    }

    public NodeRecord decode(KvEntry e) throws Rejected {
        String name = keys.nameOf(e.key());
        if (name == null) {
            throw new Rejected(Reason.MALFORMED_KEY, "not a node key (" + keys.dir() + "<name>, a name of 1.."
                    + NodeKeys.MAX_NAME + " letters, digits, '-' or '.')");
        }
        LeaseValidator.ValueVerdict v = values.judgeValue(e.value());
        if (v.reason() != null) {
            throw new Rejected(switch (v.reason()) {
                case BAD_PUBLIC_IP -> Reason.BAD_PUBLIC_IP;
                case BAD_BACKEND_DATA -> Reason.BAD_BACKEND_DATA;
                default -> Reason.MALFORMED_VALUE;
            }, v.detail());
        }
        LeaseAttrs attrs = v.attrs();
        JsonNode data = attrs.backendData();
        JsonNode said = data == null || !data.isObject() ? null : data.get("NodeName");
        if (said != null && !(said.isTextual() && said.textValue().equals(name))) {
            throw new Rejected(Reason.NAME_MISMATCH, "BackendData.NodeName is not the key's node name " + name);
        }
        return new NodeRecord(name, attrs, e.seniority(), e.modRevision(), e.expirationEpochMillis());
    }
}
