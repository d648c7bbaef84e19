package dev.weft.flannel.subnet.etcd;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.grpc.util.ForwardingLoadBalancer;
import io.grpc.util.ForwardingLoadBalancerHelper;
import java.time.Duration;
import java.util.Map;

/**
 * gRPC's round_robin over the etcd endpoints, with each endpoint's subchannel a
 * {@link RenewingSubchannel}: while an endpoint is down it is tried about once a second, at most
 * ~2 s apart, not after a wait that grows to minutes. jetcd lets us name the channel's
 * load-balancing policy (its only door to how the channel connects), so this is registered with
 * gRPC under {@link #NAME} and named in the client builder.
 */
final class SteadyReconnectPolicy extends LoadBalancerProvider {
    static final String NAME = "weft_steady_round_robin";
    /**
     * How long a failing subchannel lives before a fresh one replaces it. Its own attempts come at
     * ~1 and 2.1 to 3.1 s, so attempts are at most ~2 s apart; {@link RenewingSubchannel} says
     * why it is not shorter.
     */
    static final Duration PERIOD = Duration.ofSeconds(4);
    private static final String INNER = "round_robin";

    private SteadyReconnectPolicy() {
    }

    private static boolean registered;

    /** Registers the policy with gRPC (once) and returns its name, for {@code ClientBuilder.loadBalancerPolicy}. */
    static synchronized String name() {
        if (!registered) {
            LoadBalancerRegistry.getDefaultRegistry().register(new SteadyReconnectPolicy());
            registered = true;
        }
        return NAME;
    }

    private static LoadBalancerProvider inner() {
        LoadBalancerProvider p = LoadBalancerRegistry.getDefaultRegistry().getProvider(INNER);
        if (p == null) {
            throw new IllegalStateException("gRPC has no " + INNER + " load balancer (grpc-util missing from the class path?)");
        }
        return p;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public int getPriority() {
        return 5; // the registry's default; only ever chosen by name
    }

    @Override
    public String getPolicyName() {
        return NAME;
    }

    @Override
    public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
        return inner().parseLoadBalancingPolicyConfig(raw);
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
        return new Balancer(helper);
    }

    /** round_robin, building its subchannels through a helper that makes them renewing ones. */
    private static final class Balancer extends ForwardingLoadBalancer {
        private final LoadBalancer roundRobin;

        Balancer(LoadBalancer.Helper channel) {
            this.roundRobin = inner().newLoadBalancer(new ForwardingLoadBalancerHelper() {
                @Override
                protected LoadBalancer.Helper delegate() {
                    return channel;
                }

                @Override
                public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
                    return new RenewingSubchannel(channel, args, PERIOD);
                }
            });
        }

        @Override
        protected LoadBalancer delegate() {
            return roundRobin;
        }

        @Override
        public Status acceptResolvedAddresses(ResolvedAddresses addresses) {
            return roundRobin.acceptResolvedAddresses(addresses); // ForwardingLoadBalancer would go the deprecated way
        }
    }
}
