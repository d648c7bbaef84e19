package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendFactory;
import dev.weft.flannel.config.BackendTypes;
import java.util.Objects;

/** Makes {@link UdpBackend}s ("Type": "udp") with this node's {@link UdpSettings}. */
public final class UdpFactory implements BackendFactory {
    private final UdpSettings settings;

    /** With {@link UdpSettings#DEFAULT} (the standard registry's, and a ServiceLoader's). */
    public UdpFactory() {
        this(UdpSettings.DEFAULT);
    }

    public UdpFactory(UdpSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public String type() {
        return BackendTypes.UDP;
    }

    @Override
    public Backend create(BackendContext ctx) {
        return new UdpBackend(ctx, settings);
    }
}
