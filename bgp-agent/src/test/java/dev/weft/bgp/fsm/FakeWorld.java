package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Open;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/** A hand-driven clock and transport for {@link PeerFsm}: time moves only when a test says so. */
final class FakeWorld implements Scheduler, PeerFsm.Driver {
    private long now = 1_000_000;
    private long seq;
    private final PriorityQueue<Pending> timers = new PriorityQueue<>();
    int connects;
    final List<Negotiated> established = new ArrayList<>();
    final List<BgpMessage> delivered = new ArrayList<>();
    final List<DownReason> downs = new ArrayList<>();

    private final class Pending implements Comparable<Pending>, Timer {
        final long at;
        final long order = seq++;
        final Runnable task;
        boolean cancelled;

        Pending(long at, Runnable task) {
            this.at = at;
            this.task = task;
        }

        @Override
        public int compareTo(Pending o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(order, o.order);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    @Override
    public Timer schedule(long delayMillis, Runnable task) {
        Pending p = new Pending(now + delayMillis, task);
        timers.add(p);
        return p;
    }

    @Override
    public long nowMillis() {
        return now;
    }

    /** Moves the clock, running every timer that falls due on the way, in order. */
    void advance(long millis) {
        long end = now + millis;
        while (!timers.isEmpty() && timers.peek().at <= end) {
            Pending p = timers.poll();
            now = Math.max(now, p.at); // a stalled loop runs overdue timers late
            if (!p.cancelled) {
                p.task.run();
            }
        }
        now = end;
    }

    /** Moves the clock without running timers, as an event loop busy with something else would. */
    void stall(long millis) {
        now += millis;
    }

    void advanceSeconds(long s) {
        advance(s * 1000);
    }

    @Override
    public void connect() {
        connects++;
    }

    @Override
    public void established(Connection connection, Negotiated negotiated) {
        established.add(negotiated);
    }

    @Override
    public void received(Connection connection, BgpMessage message) {
        delivered.add(message);
    }

    @Override
    public void down(DownReason reason) {
        downs.add(reason);
    }

    /** A connection that records what the FSM sends. */
    static final class Conn implements Connection {
        final boolean outgoing;
        final List<BgpMessage> sent = new ArrayList<>();
        CodecContext codec = CodecContext.INITIAL;
        boolean closed;

        Conn(boolean outgoing) {
            this.outgoing = outgoing;
        }

        @Override
        public boolean outgoing() {
            return outgoing;
        }

        @Override
        public void send(BgpMessage message) {
            if (closed) {
                throw new AssertionError("sent " + message + " on a closed connection");
            }
            sent.add(message);
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public void codec(CodecContext context) {
            codec = context;
        }

        BgpMessage last() {
            return sent.get(sent.size() - 1);
        }

        long count(Class<? extends BgpMessage> kind) {
            return sent.stream().filter(kind::isInstance).count();
        }

        Notification notification() {
            return sent.stream().filter(Notification.class::isInstance).map(Notification.class::cast).findFirst()
                    .orElseThrow(() -> new AssertionError("no NOTIFICATION in " + sent));
        }
    }

    /** A peer's OPEN as BIRD would send it: one capability set, AS4 carrying the real AS. */
    static Open open(long as, int hold, int id, Capability... extra) {
        List<Capability> caps = new ArrayList<>(List.of(Capability.Multiprotocol.of(Family.IPV4_UNICAST),
                new Capability.RouteRefresh(false), new Capability.FourOctetAs(as)));
        caps.addAll(List.of(extra));
        return new Open(Open.VERSION, as > 0xFFFF ? Open.AS_TRANS : (int) as, hold, id, caps, false);
    }
}
