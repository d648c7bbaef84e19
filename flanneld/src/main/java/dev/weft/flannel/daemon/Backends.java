package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendRegistry;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.config.NetworkConfig;
import java.nio.file.Path;

/** Creates the backend net-conf asks for, from the standard registry (vxlan, host-gw, and any plug-ins). */
final class Backends {
    private Backends() {
    }

    static Backend create(NetworkConfig cfg, ExternalInterface ext, Path stateDir, boolean offloads, int dataPathThreads) {
        return BackendRegistry.standard().create(BackendContext.of(cfg, ext).withStateDir(stateDir).withOffloads(offloads).withDataPathThreads(dataPathThreads));
    }
}
