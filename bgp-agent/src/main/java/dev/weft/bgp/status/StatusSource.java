package dev.weft.bgp.status;

import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What the agent shows: implemented by the agent, read by {@link StatusServer}.
 *
 * <p>Every answer is a snapshot of records built on the agent's RIB thread (complete the stage
 * there, e.g. {@code CompletableFuture.supplyAsync(..., ribExecutor)}), never a live structure:
 * the server renders it later on its own threads. The server never calls two methods of one
 * request at once and asks for routes one page at a time, so a 100k-route table is never copied
 * whole for a request.
 */
public interface StatusSource {
    /** Router id, AS, version and table sizes. */
    CompletionStage<SpeakerView> speaker();

    /** Every configured peer, in a stable order (by address). */
    CompletionStage<List<PeerView>> peers();

    /**
     * At most {@code limit} prefixes of the family's Loc-RIB in ascending {@link Cidr} order, the
     * first one strictly after {@code after} (null: from the start).
     */
    CompletionStage<RoutePage> routes(Family family, Cidr after, int limit);
}
