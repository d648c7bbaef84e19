package dev.weft.bgp.status;

/**
 * Counts late KEEPALIVEs for one peer, for the session layer to call as it sends each one.
 * Not thread-safe: one session's thread records; {@link #snapshot()} is read on that same thread.
 */
public final class KeepaliveLateness {
    private long sent;
    private long late;
    private long maxLatenessNanos;

    /**
     * @param dueNanos      when the KEEPALIVE was due (System.nanoTime clock)
     * @param sentNanos     when it went out
     * @param intervalNanos the negotiated keepalive interval
     */
    public void sent(long dueNanos, long sentNanos, long intervalNanos) {
        sent++;
        long lateness = sentNanos - dueNanos;
        if (lateness > maxLatenessNanos) {
            maxLatenessNanos = lateness;
        }
        if (lateness > intervalNanos / 3) {
            late++;
        }
    }

    public KeepaliveStats snapshot() {
        return new KeepaliveStats(sent, late, maxLatenessNanos / 1e9);
    }
}
