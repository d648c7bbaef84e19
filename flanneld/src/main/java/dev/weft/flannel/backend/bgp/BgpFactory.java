package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendFactory;
import dev.weft.flannel.config.BackendTypes;

/** Makes {@link BgpBackend}s with this node's flag settings. */
public final class BgpFactory implements BackendFactory {
    private final BgpSettings settings;

    /** For {@link java.util.ServiceLoader} and the standard registry: defaults. */
    public BgpFactory() {
        this(BgpSettings.defaults());
    }

    public BgpFactory(BgpSettings settings) {
        this.settings = settings;
    }

    @Override
    public String type() {
        return BackendTypes.BGP;
    }

    @Override
    public Backend create(BackendContext ctx) {
        return new BgpBackend(ctx, settings);
    }
}
