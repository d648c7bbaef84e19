package dev.weft.flannel.subnet.kv;

import java.time.Duration;
import java.util.Optional;

/**
 * A revisioned key-value store with TTLs and watches: what flannel needs from etcd v3.
 *
 * <p>A {@code ttl} of null or zero writes the key without a TTL (flannel calls that a
 * reservation). A TTL is attached per write, as flannel does: every create or renewal grants a
 * fresh etcd lease and puts the key with it, so nothing needs a keep-alive stream.
 *
 * <p>Methods throw {@link KvException} when the store cannot be reached or fails.
 */
public interface KvStore extends AutoCloseable {

    Optional<KvEntry> get(String key);

    /** All keys starting with {@code prefix} (for an exact key, filter the result), with the revision. */
    KvListing list(String prefix);

    /** Writes the key only if it does not exist (etcd: txn {@code If(version(key) == 0)}); empty if it exists. */
    Optional<KvEntry> createIfAbsent(String key, String value, Duration ttl);

    /** Overwrites the key only if it currently holds exactly {@code expected}; empty otherwise (also when absent). */
    Optional<KvEntry> replaceIfValue(String key, String expected, String value, Duration ttl);

    /** Unconditional write. */
    KvEntry put(String key, String value, Duration ttl);

    /** Deletes the key; false if it did not exist. */
    boolean delete(String key);

    /**
     * Watches a key, or every key under a prefix, starting at {@code fromRevision} (events with a
     * revision at or after it). Revisions older than the store keeps are reported through
     * {@link KvWatchListener#onCompacted}.
     */
    KvWatch watch(String key, boolean prefix, long fromRevision, KvWatchListener listener);

    /** A short description for logs, e.g. the endpoints or the file. */
    String describe();

    @Override
    void close();
}
