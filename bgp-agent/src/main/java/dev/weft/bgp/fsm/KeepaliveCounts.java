package dev.weft.bgp.fsm;

/**
 * How punctually one peer's KEEPALIVEs went out, over every session since the speaker started
 * (a starved event loop shows here long before a peer's hold timer runs out).
 *
 * @param sent              KEEPALIVEs sent by the keepalive timer (not the one that answers an OPEN)
 * @param late              of those, sent more than a third of the interval after they were due
 * @param maxLatenessMillis the worst lateness seen, late or not
 */
public record KeepaliveCounts(long sent, long late, long maxLatenessMillis) {
    public static final KeepaliveCounts NONE = new KeepaliveCounts(0, 0, 0);
}
