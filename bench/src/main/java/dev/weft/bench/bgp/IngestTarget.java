package dev.weft.bench.bgp;

import dev.weft.testkit.Underlay;

import java.time.Instant;
import java.util.Collections;
import java.util.List;

/**
 * A BGP speaker whose route ingestion {@link BgpIngestBench} measures: it accepts iBGP sessions
 * from the announcers and installs what it learns in its namespace's main table.
 */
interface IngestTarget extends AutoCloseable {

    /** Label in the table, e.g. "bird". */
    String name();

    /**
     * Starts the speaker in {@code node}'s namespace, passive, peering in {@code as} with each of
     * {@code announcers} (addresses on the same segment), and returns once it is idle and ready
     * for connections.
     */
    void start(Underlay.Node node, long as, List<String> announcers);

    /** The process whose CPU time and memory are measured. */
    long pid();

    /** The address the announcers connect to. */
    String address();

    /** The rtnetlink protocol number of the routes it installs (how they are counted). */
    int kernelProtocol();

    /** When each of its sessions reached Established (by its own account); fails if one has not. */
    List<Instant> establishedTimes();

    /** When the first of its sessions reached Established: the start of the measured time. */
    default Instant firstEstablished() {
        return Collections.min(establishedTimes());
    }

    /** When the last of its sessions reached Established (with P announcers, how staggered they came up). */
    default Instant lastEstablished() {
        return Collections.max(establishedTimes());
    }

    /** Whether its keepalives were ever sent late during the run, or "n/a" if it cannot tell. */
    String lateKeepalives();

    /** Stops it; the namespace (and the routes) go with the segment afterwards. */
    @Override
    void close();
}
