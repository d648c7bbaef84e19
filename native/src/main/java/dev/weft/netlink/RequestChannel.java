package dev.weft.netlink;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The request/response half of netlink over one socket: numbered requests, their ACKs, replies
 * and multipart dumps. Requests may be queued and sent many to a datagram, which is what makes
 * bulk route programming cheap. Not thread-safe; {@link RtNetlink} serialises callers.
 */
final class RequestChannel implements AutoCloseable {
    /** Upper bound on requests in flight, so their ACKs never overflow the receive queue. */
    static final int WINDOW = 256;
    private static final int WINDOW_BYTES = 60 * 1024;
    private static final int DUMP_RETRIES = 10;

    /** Turns one reply message into a value, or null to skip it. */
    interface Parser<T> {
        T parse(ByteBuffer buf, int type, int payloadStart, int payloadEnd);
    }

    /**
     * The requests of one send, numbered {@link #firstSeq()} on in steps of one (each took
     * {@link #nextSeq()} in turn): their message types (for {@link NetlinkRequests}) and
     * descriptions. A description is only spelled out when the kernel refuses that request: a batch
     * of 100,000 routes would otherwise format 100,000 addresses that nobody reads, and a view over
     * the batch's own queue holds no object per request.
     */
    interface Window {
        int size();

        int firstSeq();

        int type(int i);

        String description(int i);
    }

    /** One request's window. */
    private record Single(int firstSeq, int type, String description) implements Window {
        @Override
        public int size() {
            return 1;
        }

        @Override
        public int type(int i) {
            return type;
        }

        @Override
        public String description(int i) {
            return description;
        }
    }

    private final NetlinkSocket socket;
    private final MessageWriter writer = new MessageWriter(64 * 1024);
    private final ByteBuffer rx = NetlinkSocket.allocate(256 * 1024);
    private final long rxAddress = NetlinkSocket.pointerTo(rx);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    RequestChannel(NetlinkSocket socket) {
        this.socket = socket;
        socket.setBufferSizes(1 << 20);
    }

    int nextSeq() {
        return ++seq;
    }

    MessageWriter writer() {
        return writer;
    }

    /** Sends one request built by {@code body} and waits for its ACK; returns any reply messages. */
    <T> List<T> call(int type, int flags, String description, Consumer<MessageWriter> body, Parser<T> parser) {
        writer.reset();
        int s = nextSeq();
        writer.begin(type, flags | Rt.NLM_F_REQUEST | Rt.NLM_F_ACK, s);
        body.accept(writer);
        writer.end();
        List<T> replies = new ArrayList<>(1);
        List<BatchFailure> failures = new ArrayList<>(1);
        sendAndAwait(new Single(s, type, description), replies, parser, failures);
        if (!failures.isEmpty()) {
            throw failures.get(0).error();
        }
        return replies;
    }

    /** Runs a dump request and parses every part; restarts when the kernel says it was interrupted. */
    <T> List<T> dump(int type, String description, Consumer<MessageWriter> body, Parser<T> parser) {
        for (int attempt = 0; ; attempt++) {
            writer.reset();
            int s = nextSeq();
            writer.begin(type, Rt.NLM_F_REQUEST | Rt.NLM_F_DUMP, s);
            body.accept(writer);
            writer.end();
            ByteBuffer out = writer.flip();
            socket.send(out, NetlinkSocket.pointerTo(out));
            List<T> result = new ArrayList<>();
            boolean interrupted = false;
            boolean done = false;
            while (!done) {
                socket.receive(rx, rxAddress, false);
                int p = 0;
                while (p + 16 <= rx.limit()) {
                    int len = rx.getInt(p);
                    int mtype = Short.toUnsignedInt(rx.getShort(p + 4));
                    int mflags = Short.toUnsignedInt(rx.getShort(p + 6));
                    int mseq = rx.getInt(p + 8);
                    if (len < 16 || p + len > rx.limit()) {
                        break;
                    }
                    if (mseq == s) {
                        if ((mflags & Rt.NLM_F_DUMP_INTR) != 0) {
                            interrupted = true;
                        }
                        if (mtype == Rt.NLMSG_DONE) {
                            int err = len >= 20 ? rx.getInt(p + 16) : 0;
                            NetlinkRequests.count(type, Math.min(err, 0));
                            if (err < 0) {
                                throw new NetlinkException(description, err, null);
                            }
                            done = true;
                        } else if (mtype == Rt.NLMSG_ERROR) {
                            int err = rx.getInt(p + 16);
                            NetlinkRequests.count(type, Math.min(err, 0));
                            if (err < 0) {
                                throw new NetlinkException(description, err, extAck(p, len, mflags));
                            }
                            done = true;
                        } else {
                            T v = parser.parse(rx, mtype, p + 16, p + len);
                            if (v != null) {
                                result.add(v);
                            }
                        }
                    }
                    p += (len + 3) & ~3;
                }
            }
            if (!interrupted) {
                return result;
            }
            if (attempt >= DUMP_RETRIES) {
                throw new NetlinkException(description + " (dump kept changing)", dev.weft.libc.Errno.EINTR.number(), null);
            }
        }
    }

    /**
     * A dump whose request header and attributes the kernel treats as a filter
     * (NETLINK_GET_STRICT_CHK, on for this dump only: other dumps send headers that strict
     * checking would refuse). On a kernel without the option the dump is unfiltered, so the
     * parser must filter too. A filter naming a table that does not exist gives ENOENT, which
     * is an empty answer here.
     */
    <T> List<T> filteredDump(int type, String description, Consumer<MessageWriter> body, Parser<T> parser) {
        boolean strict = socket.setIntOption(NetlinkSocket.SOL_NETLINK, NetlinkSocket.NETLINK_GET_STRICT_CHK, 1, true);
        try {
            return dump(type, description, body, parser);
        } catch (NetlinkException e) {
            if (strict && e.errno() == dev.weft.libc.Errno.ENOENT) {
                return new ArrayList<>();
            }
            throw e;
        } finally {
            if (strict) {
                socket.setIntOption(NetlinkSocket.SOL_NETLINK, NetlinkSocket.NETLINK_GET_STRICT_CHK, 0, true);
            }
        }
    }

    /**
     * Sends every message currently in the writer (numbered and described by {@code window}) and
     * collects failures; the writer must hold at most {@link #WINDOW} messages. The last message
     * must ask for an ACK; the others may not: the kernel answers a failure whether asked or not,
     * and handles the messages in order, so the last one's answer comes after every other. A
     * request with no answer by then succeeded.
     */
    <T> void sendAndAwait(Window window, List<T> replies, Parser<T> parser, List<BatchFailure> failures) {
        ByteBuffer out = writer.flip();
        socket.send(out, NetlinkSocket.pointerTo(out));
        writer.reset();
        int n = window.size();
        int first = window.firstSeq();
        int last = first + n - 1;
        java.util.BitSet answered = new java.util.BitSet(n);
        while (!answered.get(n - 1)) {
            socket.receive(rx, rxAddress, false);
            int p = 0;
            while (p + 16 <= rx.limit()) {
                int len = rx.getInt(p);
                int mtype = Short.toUnsignedInt(rx.getShort(p + 4));
                int mflags = Short.toUnsignedInt(rx.getShort(p + 6));
                int mseq = rx.getInt(p + 8);
                if (len < 16 || p + len > rx.limit()) {
                    break;
                }
                if (mseq - first >= 0 && last - mseq >= 0) {
                    int idx = mseq - first;
                    if (mtype == Rt.NLMSG_ERROR) {
                        answered.set(idx);
                        int err = rx.getInt(p + 16);
                        NetlinkRequests.count(window.type(idx), Math.min(err, 0));
                        if (err < 0) {
                            String description = window.description(idx);
                            failures.add(new BatchFailure(idx, description,
                                    new NetlinkException(description, err, extAck(p, len, mflags))));
                        }
                    } else if (parser != null && mtype != Rt.NLMSG_DONE && mtype != Rt.NLMSG_NOOP) {
                        T v = parser.parse(rx, mtype, p + 16, p + len);
                        if (v != null) {
                            replies.add(v);
                        }
                    }
                }
                p += (len + 3) & ~3;
            }
        }
        for (int i = answered.nextClearBit(0); i < n; i = answered.nextClearBit(i + 1)) {
            NetlinkRequests.count(window.type(i), 0);
        }
    }

    /** Whether the writer has reached the window, by count or bytes, and should be flushed. */
    boolean windowFull(int queued) {
        return queued >= WINDOW || writer.size() >= WINDOW_BYTES;
    }

    /** The kernel's extended-ACK text inside an NLMSG_ERROR at {@code p}, if it sent one. */
    private String extAck(int p, int len, int flags) {
        if ((flags & Rt.NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int echoed = p + 20;
        int echoedLen = rx.getInt(echoed);
        // With NETLINK_CAP_ACK (flag NLM_F_CAPPED, 0x100) only the request header is echoed.
        int tlvs = (flags & 0x100) != 0 ? echoed + 16 : echoed + ((echoedLen + 3) & ~3);
        if (tlvs >= p + len) {
            return null;
        }
        return Attrs.parse(rx, tlvs, p + len).string(Rt.NLMSGERR_ATTR_MSG);
    }

    @Override
    public void close() {
        socket.close();
    }
}
