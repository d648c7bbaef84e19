package dev.weft.netlink;

import dev.weft.libc.Errno;
import java.util.Locale;

/**
 * Every rtnetlink request this process has had answered, by operation (the message type) and result
 * (the errno the kernel answered): what weftd exports as {@code weft_netlink_requests_total}. The
 * counts are process-wide, whichever {@link RtNetlink} (and namespace) sent the request.
 *
 * <p>Counting sits on the request path of batches of 100,000 routes, so it allocates nothing: one
 * fixed table of longs indexed by the two enums' ordinals. It is also on the start-up path of every
 * CNI plugin, so the table is plain longs behind a lock rather than LongAdders or an
 * AtomicLongArray: their VarHandles cost about 2 ms at first use in a fresh JVM, while an
 * uncontended lock costs some nanoseconds beside a netlink round trip of microseconds (a
 * plugin's requests come from one thread; weftd's from a few, each serialised per socket anyway).
 */
public final class NetlinkRequests {

    /** The request's message type, as the kernel names it without the RTM_ prefix. */
    public enum Op {
        NEWLINK(Rt.RTM_NEWLINK), DELLINK(Rt.RTM_DELLINK), GETLINK(Rt.RTM_GETLINK), SETLINK(Rt.RTM_SETLINK),
        NEWADDR(Rt.RTM_NEWADDR), DELADDR(Rt.RTM_DELADDR), GETADDR(Rt.RTM_GETADDR),
        NEWROUTE(Rt.RTM_NEWROUTE), DELROUTE(Rt.RTM_DELROUTE), GETROUTE(Rt.RTM_GETROUTE),
        NEWNEIGH(Rt.RTM_NEWNEIGH), DELNEIGH(Rt.RTM_DELNEIGH), GETNEIGH(Rt.RTM_GETNEIGH),
        /** Any other message type. */
        OTHER(-1);

        private static final Op[] BY_TYPE = new Op[Rt.RTM_GETNEIGH + 1];

        static {
            for (Op o : values()) {
                if (o.type >= 0) {
                    BY_TYPE[o.type] = o;
                }
            }
        }

        private final int type;

        Op(int type) {
            this.type = type;
        }

        /** The label value, e.g. "newroute". */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Op of(int type) {
            Op o = type >= 0 && type < BY_TYPE.length ? BY_TYPE[type] : null;
            return o == null ? OTHER : o;
        }
    }

    /**
     * How the kernel answered. "Exists" and "not found" are apart from other errors: idempotent
     * programming meets them on purpose (a route already there, a neighbour already gone).
     */
    public enum Result {
        OK, EXISTS, NOT_FOUND, ERROR;

        /** The label value, e.g. "not_found". */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The result for the kernel's answer: 0, or a negated (or plain) errno; success never loads {@link Errno}. */
        static Result of(int errno) {
            if (errno == 0) {
                return OK;
            }
            Errno e = Errno.of(errno);
            if (e == Errno.EEXIST) {
                return EXISTS;
            }
            // routes answer ESRCH, links ENODEV, the rest ENOENT
            return e == Errno.ENOENT || e == Errno.ESRCH || e == Errno.ENODEV ? NOT_FOUND : ERROR;
        }
    }

    private static final int RESULTS = Result.values().length;
    /** Guarded by itself. */
    private static final long[] COUNTS = new long[Op.values().length * RESULTS];

    private NetlinkRequests() {
    }

    /** One answered request of message {@code type}; {@code errno} 0 for success. */
    static void count(int type, int errno) {
        int i = Op.of(type).ordinal() * RESULTS + Result.of(errno).ordinal();
        synchronized (COUNTS) {
            COUNTS[i]++;
        }
    }

    /** Requests of one operation answered with one result, since the process started. */
    public static long count(Op op, Result result) {
        synchronized (COUNTS) {
            return COUNTS[op.ordinal() * RESULTS + result.ordinal()];
        }
    }
}
