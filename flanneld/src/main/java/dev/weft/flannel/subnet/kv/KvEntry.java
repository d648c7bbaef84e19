package dev.weft.flannel.subnet.kv;

import java.util.Objects;

/**
 * One stored key.
 *
 * @param key                   full key
 * @param value                 value (empty for a deletion event)
 * @param modRevision           store revision of the write (or of the deletion, in a DELETE event)
 * @param expirationEpochMillis when its TTL runs out; 0 = no TTL. For etcd this is read with a
 *                              TimeToLive call; if that fails it is "now" (may expire any moment).
 */
public record KvEntry(String key, String value, long modRevision, long expirationEpochMillis) {
    public KvEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    public boolean hasTtl() {
        return expirationEpochMillis != 0;
    }
}
