package dev.weft.flannel.subnet.etcd;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.CreateSubchannelArgs;
import io.grpc.LoadBalancer.Helper;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.SynchronizationContext.ScheduledHandle;
import io.grpc.util.ForwardingSubchannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC subchannel that, while its etcd cannot be reached, is replaced by a fresh one every
 * {@code period}, so a connection attempt is never further off than that, however long the outage.
 *
 * <p>A gRPC subchannel that fails to connect waits before its next attempt, and that wait grows
 * by 1.6 times per failure (1, 1.6, 2.6, 4.1, 6.6 s..., ±20 %) up to two minutes, only reset by a
 * connection that works: after etcd was SIGKILLed for 30 s the attempts were 5 and then 11 s
 * apart, and weftd's first write went through 10.9 s after etcd answered again. The channel's
 * {@code resetConnectBackoff()} would cut the wait short, but jetcd keeps its channel to itself. A
 * new subchannel starts with no backoff and connects when asked, so the failing one is swapped for
 * a new one {@code period} after its first failure. The load balancer above (round_robin) keeps
 * holding this object and never sees the swap, only the states.
 *
 * <p>Why not swap after every failure: gRPC keeps a subchannel that was shut down alive for 5 more
 * seconds (for calls that just picked it), and it goes on with its own attempts meanwhile, so
 * swapping every second made 2.7 attempts a second. With a 4 s period each subchannel makes its attempts
 * at 0, ~1 and ~2.6 s, and ~5 s while it lingers: about one a second in all, at most ~2 s apart.
 *
 * <p>Every method runs in the channel's synchronization context, as gRPC calls subchannels and
 * their listeners there and the swap is scheduled there; so the fields need no locking.
 */
final class RenewingSubchannel extends ForwardingSubchannel {
    private final Helper helper;
    private final long periodNanos;
    private CreateSubchannelArgs args;
    private Subchannel current;
    private SubchannelStateListener listener;
    private ScheduledHandle swap;
    private long failingSince; // System.nanoTime() of current's first failure since it was created or connected; 0: none
    private boolean shutdown;

    RenewingSubchannel(Helper helper, CreateSubchannelArgs args, Duration period) {
        this.helper = helper;
        this.args = args;
        this.periodNanos = period.toNanos();
        this.current = helper.createSubchannel(args);
    }

    @Override
    protected Subchannel delegate() {
        return current;
    }

    @Override
    public void start(SubchannelStateListener listener) {
        this.listener = listener;
        startCurrent();
    }

    private void startCurrent() {
        Subchannel s = current;
        s.start(state -> onState(s, state));
    }

    private void onState(Subchannel from, ConnectivityStateInfo state) {
        if (from != current) {
            return; // a replaced subchannel reporting its SHUTDOWN
        }
        switch (state.getState()) {
            case TRANSIENT_FAILURE -> {
                long now = System.nanoTime();
                if (failingSince == 0) {
                    failingSince = now; // gRPC's backoff for it starts here too
                }
                if (swap == null && !shutdown) {
                    swap = helper.getSynchronizationContext().schedule(this::swap,
                            Math.max(0, failingSince + periodNanos - now), TimeUnit.NANOSECONDS,
                            helper.getScheduledExecutorService());
                }
            }
            case READY, IDLE -> { // connected, or lost a connection it had: gRPC's backoff starts afresh
                cancelSwap();
                failingSince = 0;
            }
            default -> { // CONNECTING: one of its own attempts; the swap stays due
            }
        }
        listener.onSubchannelState(state);
    }

    private void swap() {
        swap = null;
        if (shutdown) {
            return;
        }
        Subchannel old = current;
        current = helper.createSubchannel(args);
        failingSince = 0;
        startCurrent();
        old.shutdown();
        current.requestConnection();
    }
    private void cancelSwap() {
        if (swap != null) {
            swap.cancel();
            swap = null;
        }
    }

    @Override
    public void updateAddresses(List<EquivalentAddressGroup> addresses) {
        args = args.toBuilder().setAddresses(addresses).build(); // the next swap connects to these
        super.updateAddresses(addresses);
    }

    @Override
    public void shutdown() {
        shutdown = true;
        cancelSwap();
        super.shutdown();
    }
}
