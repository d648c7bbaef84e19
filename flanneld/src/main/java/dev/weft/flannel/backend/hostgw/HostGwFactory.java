package dev.weft.flannel.backend.hostgw;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendFactory;
import dev.weft.flannel.config.BackendTypes;

/** Makes {@link HostGwBackend}s ("Type": "host-gw"). */
public final class HostGwFactory implements BackendFactory {
    @Override
    public String type() {
        return BackendTypes.HOST_GW;
    }

    @Override
    public Backend create(BackendContext ctx) {
        return new HostGwBackend(ctx);
    }
}
