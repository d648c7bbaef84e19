package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.TestNetns;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** One of our speakers inside a test namespace, with a listener that records what it is told. */
final class TestSpeaker implements SessionListener, AutoCloseable {
    final String name;
    final IpAddress address;
    final Namespace ns;
    final Sessions sessions;
    final ExecutorService rib;
    final List<Negotiated> established = new CopyOnWriteArrayList<>();
    final List<Update> updates = new CopyOnWriteArrayList<>();
    final List<DownReason> downs = new CopyOnWriteArrayList<>();
    /** When set, the listener's thread blocks in established() until it counts down. */
    volatile CountDownLatch blockListener;

    private TestSpeaker(String name, TestNetns netns, String address, long as, int maxBacklog) {
        this.name = name;
        this.address = IpAddress.parse(address);
        this.ns = Namespace.openNamed(netns.name());
        this.rib = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rib-" + name);
            t.setDaemon(true);
            return t;
        });
        SpeakerConfig config = SpeakerConfig.of(this.address, as).withListen(this.address, SpeakerConfig.BGP_PORT)
                .withBackoff(Duration.ofMillis(500), Duration.ofSeconds(4));
        this.sessions = Sessions.start(config, ns, this, rib, maxBacklog, SpeakerConfig.BGP_PORT);
    }

    static TestSpeaker start(String name, TestNetns netns, String address, long as) {
        return new TestSpeaker(name, netns, address, as, Sessions.DEFAULT_MAX_BACKLOG);
    }

    static TestSpeaker start(String name, TestNetns netns, String address, long as, int maxBacklog) {
        return new TestSpeaker(name, netns, address, as, maxBacklog);
    }

    /** A peer config towards another speaker: quick retries, our address as the source. */
    PeerConfig peer(TestSpeaker other, long as) {
        return peer(other.address.toString(), as);
    }

    PeerConfig peer(String address, long as) {
        return PeerConfig.of(IpAddress.parse(address), as).withLocalAddress(this.address)
                .withTimers(9, 0, Duration.ofSeconds(1));
    }

    SessionState state(TestSpeaker other) {
        return state(new PeerId(other.address));
    }

    SessionState state(PeerId peer) {
        return sessions.status(peer).map(PeerStatus::state).orElseThrow();
    }

    PeerStatus status(TestSpeaker other) {
        return sessions.status(new PeerId(other.address)).orElseThrow();
    }

    @Override
    public void established(PeerId peer, Negotiated negotiated, IpAddress localAddress) {
        established.add(negotiated);
        CountDownLatch b = blockListener;
        if (b != null) {
            try {
                b.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void update(PeerId peer, Update update) {
        updates.add(update);
    }

    @Override
    public void routeRefresh(PeerId peer, RouteRefresh refresh) {
    }

    @Override
    public void down(PeerId peer, DownReason reason) {
        downs.add(reason);
    }

    static void await(String what, Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + max + ": " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    /**
     * The first session's negotiated parameters. The listener runs on the RIB executor, so the FSM
     * can show Established before established() has been called: wait for it.
     */
    Negotiated firstEstablished() {
        await(name + " told of an Established session", Duration.ofSeconds(10), () -> !established.isEmpty());
        return established.get(0);
    }

    void awaitState(TestSpeaker other, SessionState s) {
        awaitState(new PeerId(other.address), s);
    }

    void awaitState(PeerId peer, SessionState s) {
        await(name + " -> " + peer + " " + s, Duration.ofSeconds(30), () -> state(peer) == s);
    }

    @Override
    public void close() {
        CountDownLatch b = blockListener;
        if (b != null) {
            b.countDown();
        }
        try {
            sessions.close();
        } finally {
            rib.shutdownNow();
            try {
                rib.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ns.close();
        }
    }
}
