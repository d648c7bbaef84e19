package dev.weft.bench.bgp;

import dev.weft.testkit.Underlay;

import java.time.Instant;
import java.util.List;

/**
 * Placeholder for the Weft BGP agent ({@code --target weft}): it fails at once, before anything is
 * created. To be implemented once bgp-agent can run standalone: start it passive in the node's
 * namespace, count routes of its own protocol number, read the first Established time and the
 * late-keepalive counter from its metrics.
 */
final class WeftAgentIngestTarget implements IngestTarget {
    static final String NOT_BUILT = "the Weft agent target is not built yet";

    WeftAgentIngestTarget() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public String name() {
        return "weft";
    }

    @Override
    public void start(Underlay.Node node, long as, List<String> announcers) {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public long pid() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public String address() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public int kernelProtocol() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public Instant firstEstablished() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public String lateKeepalives() {
        throw new UnsupportedOperationException(NOT_BUILT);
    }

    @Override
    public void close() {
    }
}
