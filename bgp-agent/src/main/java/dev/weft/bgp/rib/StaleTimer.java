package dev.weft.bgp.rib;

import java.time.Duration;

/**
 * A graceful-restart timer to run: after {@code restartTime}, pass it to {@link Rib#sweepStale}.
 * The generation ties it to one session loss, so the timer of an earlier loss cannot sweep
 * routes that a later loss made stale again (calico#1423).
 */
public record StaleTimer(PeerKey peer, long generation, Duration restartTime) {}
