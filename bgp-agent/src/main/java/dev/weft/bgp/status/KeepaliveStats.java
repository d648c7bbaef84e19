package dev.weft.bgp.status;

/**
 * How punctually we sent KEEPALIVEs: a peer drops the session when three are missed, so lateness
 * is the early warning of a starved event loop.
 *
 * @param sent               KEEPALIVEs sent since the agent started
 * @param late               sent later than their due time by more than a third of the interval
 * @param maxLatenessSeconds the worst lateness seen (any size)
 */
public record KeepaliveStats(long sent, long late, double maxLatenessSeconds) {
    public static final KeepaliveStats NONE = new KeepaliveStats(0, 0, 0);
}
