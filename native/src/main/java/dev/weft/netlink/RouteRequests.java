package dev.weft.netlink;

import java.util.List;

/**
 * Writes route requests exactly as a {@link RtNetlink.Batch} would, into a scratch buffer that is
 * never sent: no socket, no kernel. For a long-lived process that wants the encoding path's classes
 * loaded and its code past the interpreter before the first real batch (the BGP speaker's warm-up,
 * issue 13), and for checking the encoding without a namespace.
 */
public final class RouteRequests {
    private RouteRequests() {
    }

    /**
     * Encodes an add, a replace and a delete of every route, as a batch queues them; returns the
     * octets written. The buffer is dropped on return.
     */
    public static long encodeScratch(List<Route> routes) {
        MessageWriter w = new MessageWriter(64 * 1024);
        long total = 0;
        int seq = 0;
        BatchRequest[] kinds = {BatchRequest.ADD_ROUTE, BatchRequest.REPLACE_ROUTE, BatchRequest.DELETE_ROUTE};
        for (BatchRequest kind : kinds) {
            for (int i = 0; i < routes.size(); i++) {
                // as a batch starts a new window: the buffer holds a window's worth, not the table
                if (w.size() > 48 * 1024) {
                    total += w.size();
                    w.reset();
                }
                w.begin(kind.type, kind.flags | Rt.NLM_F_REQUEST, ++seq);
                kind.write(w, routes.get(i));
                w.end();
            }
        }
        if (w.size() > 0) {
            w.addFlagsToLast(Rt.NLM_F_ACK);
        }
        return total + w.size();
    }
}
