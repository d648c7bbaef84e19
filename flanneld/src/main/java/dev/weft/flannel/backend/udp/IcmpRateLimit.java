package dev.weft.flannel.backend.udp;

/**
 * A token bucket for the ICMP net-unreachable replies: a pod that floods a destination no lease
 * covers would otherwise make the sending loop build and write one reply per packet. The figures
 * are the kernel's own global ICMP defaults (net.ipv4.icmp_msgs_per_sec = 1000,
 * icmp_msgs_burst = 50). One per loop, used on that loop only; no allocation.
 */
final class IcmpRateLimit {
    /** Replies per second once the burst is spent. */
    static final int PER_SECOND = 1000;
    /** Replies that may go out back to back. */
    static final int BURST = 50;
    private static final long NANOS_PER_TOKEN = 1_000_000_000L / PER_SECOND;
    private static final long FULL = BURST * NANOS_PER_TOKEN;

    /** Credit in nanoseconds: one token per {@link #NANOS_PER_TOKEN}, at most {@link #FULL}. */
    private long credit = FULL;
    private long last;
    private boolean started;

    /** Takes a token at {@code nowNanos} (System.nanoTime()); false when the bucket is empty. */
    boolean tryAcquire(long nowNanos) {
        if (started) {
            long elapsed = nowNanos - last;
            if (elapsed > 0) {
                credit = Math.min(FULL, credit + elapsed);
            }
        }
        started = true;
        last = nowNanos;
        if (credit < NANOS_PER_TOKEN) {
            return false;
        }
        credit -= NANOS_PER_TOKEN;
        return true;
    }
}
