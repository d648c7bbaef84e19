package dev.weft.ipam.hostlocal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A (container, interface) pair the runtime still considers live, from a GC request: what
 * host-local's GC keeps, and what masquerade's GC keys its state by (the iptables backend by
 * container ID alone, the nftables backend also by interface name).
 */
public record Attachment(String containerId, String ifname) {

    /** The GC key; CNI 1.1.0 as released called it {@value #LEGACY_KEY}, and libcni sends both. */
    public static final String KEY = "cni.dev/valid-attachments";
    public static final String LEGACY_KEY = "cni.dev/attachments";

    public Attachment {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
    }

    public static Attachment of(String containerId, String ifname) {
        return new Attachment(containerId, ifname);
    }

    /**
     * The valid attachments of a GC stdin: {@value #KEY}, else {@value #LEGACY_KEY}. Empty when
     * neither key is present, which the caller must treat as "nothing is valid" (cnitool gc does this).
     */
    public static Optional<Set<Attachment>> fromGcConfig(JsonNode stdin) throws IpamException {
        JsonNode list = stdin == null ? null : stdin.get(KEY);
        if (list == null || list.isNull()) {
            list = stdin == null ? null : stdin.get(LEGACY_KEY);
        }
        if (list == null || list.isNull()) {
            return Optional.empty();
        }
        if (!list.isArray()) {
            throw JsonFields.typeError(KEY, "an array", list);
        }
        Set<Attachment> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode a = list.get(i);
            String path = KEY + "[" + i + "]";
            if (!a.isObject()) {
                throw JsonFields.typeError(path, "an object", a);
            }
            String id = JsonFields.string(a, "containerID", path + ".containerID");
            String ifname = JsonFields.string(a, "ifname", path + ".ifname");
            out.add(new Attachment(id == null ? "" : id, ifname == null ? "" : ifname));
        }
        return Optional.of(out);
    }
}
