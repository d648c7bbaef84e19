package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendFactory;
import dev.weft.flannel.config.BackendTypes;

/** Makes {@link UdpBackend}s ("Type": "udp"). */
public final class UdpFactory implements BackendFactory {
    @Override
    public String type() {
        return BackendTypes.UDP;
    }

    @Override
    public Backend create(BackendContext ctx) {
        return new UdpBackend(ctx);
    }
}
