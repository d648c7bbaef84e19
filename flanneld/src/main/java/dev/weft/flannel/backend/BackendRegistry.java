package dev.weft.flannel.backend;

import dev.weft.flannel.backend.bgp.BgpFactory;
import dev.weft.flannel.backend.hostgw.HostGwBackend;
import dev.weft.flannel.backend.udp.UdpFactory;
import dev.weft.flannel.backend.vxlan.VxlanBackend;
import dev.weft.flannel.config.BackendTypes;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Backend factories by type name. {@link #standard()} knows vxlan, host-gw, udp and bgp, plus any
 * factory found through {@link ServiceLoader}.
 */
public final class BackendRegistry {
    private final Map<String, BackendFactory> factories = new TreeMap<>();

    /** An empty registry. */
    public BackendRegistry() {
    }

    /** The built-in backends and every {@link BackendFactory} on the class path. */
    public static BackendRegistry standard() {
        BackendRegistry r = new BackendRegistry().register(BackendFactory.of(BackendTypes.VXLAN, VxlanBackend::new))
                .register(BackendFactory.of(BackendTypes.HOST_GW, HostGwBackend::new)).register(new UdpFactory())
                .register(new BgpFactory());
        for (BackendFactory f : ServiceLoader.load(BackendFactory.class)) {
            r.register(f);
        }
        return r;
    }

    /** Adds (or replaces) the factory for {@code f.type()}. */
    public synchronized BackendRegistry register(BackendFactory f) {
        factories.put(f.type().toLowerCase(Locale.ROOT), f);
        return this;
    }

    public synchronized Optional<BackendFactory> factory(String type) {
        return Optional.ofNullable(factories.get(type.toLowerCase(Locale.ROOT)));
    }

    public synchronized Set<String> types() {
        return Collections.unmodifiableSet(new java.util.TreeSet<>(factories.keySet()));
    }

    /**
     * The backend the net-conf asks for ({@code ctx.network().backendType()}).
     *
     * @throws BackendException for a type nobody registered, or from the factory
     */
    public Backend create(BackendContext ctx) {
        String type = ctx.network().backendType();
        BackendFactory f = factory(type).orElseThrow(() ->
                new BackendException("unknown backend type: " + type + " (known: " + String.join(", ", types()) + ")"));
        return f.create(ctx);
    }
}
