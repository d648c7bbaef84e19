package dev.weft.netlink;

/**
 * The kinds of request a {@link RtNetlink.Batch} queues: message type, flags, the verb for a
 * failure's description, and how the queued value is written. A batch keeps a kind and a value per
 * request instead of a record and a lambda (a full BGP table queues 100,000 routes at once).
 */
enum BatchRequest {
    ADD_ROUTE(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add route", (w, v) -> RouteCodec.write(w, (Route) v, false)),
    REPLACE_ROUTE(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace route",
            (w, v) -> RouteCodec.write(w, (Route) v, false)),
    DELETE_ROUTE(Rt.RTM_DELROUTE, 0, "delete route", (w, v) -> RouteCodec.write(w, (Route) v, true)),
    REPLACE_NEIGHBOUR(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace neighbour",
            (w, v) -> NeighbourCodec.write(w, (Neighbour) v)),
    DELETE_NEIGHBOUR(Rt.RTM_DELNEIGH, 0, "delete neighbour", (w, v) -> NeighbourCodec.write(w, (Neighbour) v)),
    REPLACE_FDB(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace fdb", (w, v) -> FdbCodec.write(w, (FdbEntry) v)),
    APPEND_FDB(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_APPEND, "append fdb", (w, v) -> FdbCodec.write(w, (FdbEntry) v)),
    DELETE_FDB(Rt.RTM_DELNEIGH, 0, "delete fdb", (w, v) -> FdbCodec.write(w, (FdbEntry) v));

    /** Writes a request's body (after the netlink header) for the queued value. */
    private interface Body {
        void write(MessageWriter w, Object value);
    }

    final int type;
    final int flags;
    final String verb;
    private final Body body;

    BatchRequest(int type, int flags, String verb, Body body) {
        this.type = type;
        this.flags = flags;
        this.verb = verb;
        this.body = body;
    }

    void write(MessageWriter w, Object value) {
        body.write(w, value);
    }

    /** "add route 10.0.0.0/24": spelled out only when the kernel refuses the request. */
    String describe(Object value) {
        Object subject = value instanceof Route r ? r.dst()
                : value instanceof Neighbour n ? n.dst()
                : value instanceof FdbEntry e ? e.mac() : value;
        return verb + " " + subject;
    }
}
