package dev.weft.netlink;

/**
 * The kinds of request a {@link RtNetlink.Batch} queues: message type, flags, the verb for a
 * failure's description, and how the queued value is written. A batch keeps a kind and a value per
 * request instead of a record and a lambda (a full BGP table queues 100,000 routes at once).
 */
enum BatchRequest {
    ADD_ROUTE(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add route") {
        @Override
        void write(MessageWriter w, Object v) {
            RouteCodec.write(w, (Route) v, false);
        }
    },
    REPLACE_ROUTE(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace route") {
        @Override
        void write(MessageWriter w, Object v) {
            RouteCodec.write(w, (Route) v, false);
        }
    },
    DELETE_ROUTE(Rt.RTM_DELROUTE, 0, "delete route") {
        @Override
        void write(MessageWriter w, Object v) {
            RouteCodec.write(w, (Route) v, true);
        }
    },
    REPLACE_NEIGHBOUR(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace neighbour") {
        @Override
        void write(MessageWriter w, Object v) {
            NeighbourCodec.write(w, (Neighbour) v);
        }
    },
    DELETE_NEIGHBOUR(Rt.RTM_DELNEIGH, 0, "delete neighbour") {
        @Override
        void write(MessageWriter w, Object v) {
            NeighbourCodec.write(w, (Neighbour) v);
        }
    },
    REPLACE_FDB(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace fdb") {
        @Override
        void write(MessageWriter w, Object v) {
            FdbCodec.write(w, (FdbEntry) v);
        }
    },
    APPEND_FDB(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_APPEND, "append fdb") {
        @Override
        void write(MessageWriter w, Object v) {
            FdbCodec.write(w, (FdbEntry) v);
        }
    },
    DELETE_FDB(Rt.RTM_DELNEIGH, 0, "delete fdb") {
        @Override
        void write(MessageWriter w, Object v) {
            FdbCodec.write(w, (FdbEntry) v);
        }
    };

    final int type;
    final int flags;
    final String verb;

    BatchRequest(int type, int flags, String verb) {
        this.type = type;
        this.flags = flags;
        this.verb = verb;
    }

    /** The request's body (after the netlink header) for the queued value. */
    abstract void write(MessageWriter w, Object value);

    /** "add route 10.0.0.0/24": spelled out only when the kernel refuses the request. */
    String describe(Object value) {
        Object subject = value instanceof Route r ? r.dst()
                : value instanceof Neighbour n ? n.dst()
                : value instanceof FdbEntry e ? e.mac() : value;
        return verb + " " + subject;
    }
}
