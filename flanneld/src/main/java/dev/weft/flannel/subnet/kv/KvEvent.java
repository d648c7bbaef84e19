package dev.weft.flannel.subnet.kv;

import java.util.Objects;

/**
 * One change seen by a watch.
 *
 * @param type  PUT (created or overwritten) or DELETE (deleted or expired)
 * @param entry the new entry for PUT; for DELETE the key with an empty value and the deletion's revision
 */
public record KvEvent(Type type, KvEntry entry) {
    public enum Type { PUT, DELETE }

    public KvEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(entry, "entry");
    }

    public String key() {
        return entry.key();
    }
}
