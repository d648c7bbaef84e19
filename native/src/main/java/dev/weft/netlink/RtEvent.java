package dev.weft.netlink;

/** A change the kernel announced on an rtnetlink multicast group. */
public sealed interface RtEvent {

    /** A link appeared or changed ({@code removed} false), or went away. */
    record LinkChange(boolean removed, Link link) implements RtEvent {
    }

    record AddressChange(boolean removed, Address address) implements RtEvent {
    }

    record RouteChange(boolean removed, Route route) implements RtEvent {
    }

    record NeighbourChange(boolean removed, Neighbour neighbour) implements RtEvent {
    }

    /**
     * The socket's queue overflowed (ENOBUFS) and events were lost; a watcher must re-read the
     * state it cares about rather than trust its incremental view.
     */
    record Overflow() implements RtEvent {
    }
}
