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
 * @param createRevision        store revision of the key's creation (kept by later writes), 0 if the
 *                              store does not know it
 */
public record KvEntry(String key, String value, long modRevision, long expirationEpochMillis, long createRevision) {
    public KvEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** An entry whose creation revision is not known. */
    public KvEntry(String key, String value, long modRevision, long expirationEpochMillis) {
        this(key, value, modRevision, expirationEpochMillis, 0);
    }

    /** Who came first: the creation revision where known, else the last write's. */
    public long seniority() {
        return createRevision > 0 ? createRevision : modRevision;
    }

    public boolean hasTtl() {
        return expirationEpochMillis != 0;
    }
}
