package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendRegistry;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.bgp.BgpFactory;
import dev.weft.flannel.backend.bgp.BgpSettings;
import dev.weft.flannel.backend.udp.UdpFactory;
import dev.weft.flannel.backend.udp.UdpSettings;
import dev.weft.flannel.config.NetworkConfig;
import java.nio.file.Path;

/** Creates the backend net-conf asks for, from the standard registry (vxlan, host-gw, and any plug-ins). */
final class Backends {
    private Backends() {
    }

    /** {@code udp} and {@code bgp}: this node's flags for them, for the udp backend only (its factory replaces the default one). */
    static Backend create(NetworkConfig cfg, ExternalInterface ext, Path stateDir, UdpSettings udp, BgpSettings bgp) {
        return BackendRegistry.standard().register(new UdpFactory(udp)).register(new BgpFactory(bgp))
                .create(BackendContext.of(cfg, ext).withStateDir(stateDir));
    }
}
