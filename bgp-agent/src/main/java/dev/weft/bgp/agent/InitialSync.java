package dev.weft.bgp.agent;

import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.wire.Family;

import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * When the routes a previous run left in the kernel may be reconciled: once every peer configured
 * at start has sent End-of-RIB for each family its session negotiated (GR peers must; most others
 * do), or when the selection deferral time has passed, whichever comes first. Until then the
 * adopted routes stay. RIB thread only.
 */
final class InitialSync {
    /** Peers still owing End-of-RIB; the families are null until the session is up. */
    private final Map<PeerKey, Set<Family>> awaiting = new HashMap<>();
    private final Consumer<String> done;
    private ScheduledFuture<?> deferral;
    private boolean finished;
    /** False while the embedder is still adding the peers it knew at start (weftd's mesh from leases). */
    private boolean sealed;

    /**
     * @param done called once, on the RIB thread, with the reason
     */
    InitialSync(boolean adopted, Collection<PeerKey> peers, int deferralSeconds, ScheduledExecutorService ribThread,
                Consumer<String> done) {
        this(adopted, peers, true, deferralSeconds, ribThread, done);
    }

    /**
     * @param sealed false when more start-time peers follow ({@link #added}) until {@link #seal}:
     *               an embedder that learns its peers after starting (weftd's mesh comes with the
     *               first lease snapshot) must not have its adopted routes swept for want of peers
     */
    InitialSync(boolean adopted, Collection<PeerKey> peers, boolean sealed, int deferralSeconds,
                ScheduledExecutorService ribThread, Consumer<String> done) {
        this.done = done;
        this.sealed = sealed;
        if (!adopted) {
            finish("no routes of a previous run");
            return;
        }
        for (PeerKey p : peers) {
            awaiting.put(p, null);
        }
        deferral = ribThread.schedule(() -> finish("selection deferral time (" + deferralSeconds + " s) passed"),
                deferralSeconds, TimeUnit.SECONDS);
        check();
    }

    boolean finished() {
        return finished;
    }

    void established(PeerKey peer, Set<Family> families) {
        if (awaiting.containsKey(peer)) {
            awaiting.put(peer, families.isEmpty() ? EnumSet.noneOf(Family.class) : EnumSet.copyOf(families));
            if (families.isEmpty()) {
                awaiting.remove(peer);
                check();
            }
        }
    }

    void endOfRib(PeerKey peer, Family family) {
        Set<Family> waiting = awaiting.get(peer);
        if (waiting != null && waiting.remove(family) && waiting.isEmpty()) {
            awaiting.remove(peer);
            check();
        }
    }

    /** A peer added before {@link #seal}: a start-time peer too. */
    void added(PeerKey peer) {
        if (!finished && !sealed) {
            awaiting.put(peer, null);
        }
    }

    /** Every start-time peer has been added. */
    void seal() {
        if (!sealed) {
            sealed = true;
            check();
        }
    }

    /** A peer removed from the config owes nothing any more. */
    void removed(PeerKey peer) {
        if (awaiting.remove(peer) != null || awaiting.isEmpty()) {
            check();
        }
    }

    private void check() {
        if (sealed && awaiting.isEmpty()) {
            finish("every peer sent End-of-RIB");
        }
    }

    private void finish(String why) {
        if (finished) {
            return;
        }
        finished = true;
        awaiting.clear();
        if (deferral != null) {
            deferral.cancel(false);
        }
        done.accept(why);
    }
}
