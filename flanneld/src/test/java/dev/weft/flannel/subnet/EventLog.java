package dev.weft.flannel.subnet;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Records what a LeaseWatcher delivers, and which thread delivered it. */
final class EventLog implements Consumer<LeaseEvent> {
    private final List<LeaseEvent> events = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    @Override
    public void accept(LeaseEvent e) {
        events.add(e);
        if (!threads.contains(Thread.currentThread())) {
            threads.add(Thread.currentThread());
        }
    }

    /** This log as a listener that, after recording an Added, hangs in it until {@code release} opens. */
    Consumer<LeaseEvent> hangingOnAdded(CountDownLatch release) {
        return e -> {
            accept(e);
            if (e instanceof LeaseEvent.Added) {
                try {
                    release.await();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    List<LeaseEvent> all() {
        return List.copyOf(events);
    }

    List<Thread> threads() {
        return List.copyOf(threads);
    }

    @SuppressWarnings("unchecked")
    <T extends LeaseEvent> T await(Class<T> type, Predicate<T> p, Duration timeout) {
        Object[] found = new Object[1];
        Await.until(timeout, () -> {
            for (LeaseEvent e : events) {
                if (type.isInstance(e) && p.test((T) e)) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        }, () -> type.getSimpleName() + " matching the condition; got " + events);
        return (T) found[0];
    }

    LeaseEvent.Added awaitAdded(Cidr subnet, Duration timeout) {
        return await(LeaseEvent.Added.class, a -> a.lease().subnet().equals(subnet), timeout);
    }

    LeaseEvent.Removed awaitRemoved(Cidr subnet, Duration timeout) {
        return await(LeaseEvent.Removed.class, r -> r.lease().subnet().equals(subnet), timeout);
    }

    LeaseEvent.Snapshot awaitSnapshot(Duration timeout) {
        return await(LeaseEvent.Snapshot.class, s -> true, timeout);
    }

    boolean mentions(Cidr subnet) {
        for (LeaseEvent e : events) {
            if (e instanceof LeaseEvent.Added a && a.lease().subnet().equals(subnet)) {
                return true;
            }
            if (e instanceof LeaseEvent.Removed r && r.lease().subnet().equals(subnet)) {
                return true;
            }
            if (e instanceof LeaseEvent.Snapshot s && s.leases().stream().map(Lease::subnet).anyMatch(subnet::equals)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return events.toString();
    }
}
