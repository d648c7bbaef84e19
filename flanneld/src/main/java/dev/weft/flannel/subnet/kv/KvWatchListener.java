package dev.weft.flannel.subnet.kv;

import java.util.List;

/**
 * Callbacks of one watch. They are made one at a time, in revision order. After
 * {@link #onCompacted} or {@link #onDisconnected} the watch is finished: no more callbacks come,
 * and the caller opens a new watch (from its last revision, or after re-listing).
 */
public interface KvWatchListener {
    /**
     * Changes, in order.
     *
     * @param revision the store revision this response is current to (etcd's header revision)
     */
    void onEvents(List<KvEvent> events, long revision);

    /** The start revision is older than the store's history: re-list, then watch from the listing's revision + 1. */
    void onCompacted(long compactRevision);

    /** The watch broke (connection lost, server gone); reconnect from the last revision seen. */
    void onDisconnected(Throwable cause);
}
