package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendFactory;
import dev.weft.flannel.config.BackendTypes;

/** Makes {@link VxlanBackend}s ("Type": "vxlan"). */
public final class VxlanFactory implements BackendFactory {
    @Override
    public String type() {
        return BackendTypes.VXLAN;
    }

    @Override
    public Backend create(BackendContext ctx) {
        return new VxlanBackend(ctx);
    }
}
