package dev.weft.ipam.hostlocal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One ADD/DEL/CHECK as a delegating plugin hands it to IPAM.
 *
 * @param networkName the store directory name; null means the stdin {@code name}, as the reference
 * @param containerId CNI_CONTAINERID
 * @param ifname      CNI_IFNAME
 * @param stdinConfig the WHOLE plugin stdin (host-local reads ipam, runtimeConfig, args, cniVersion)
 * @param cniArgs     the raw CNI_ARGS value, or null
 */
public record IpamRequest(String networkName, String containerId, String ifname, JsonNode stdinConfig,
                          String cniArgs) {

    public IpamRequest {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(stdinConfig, "stdinConfig");
    }

    /** The store directory name for this request given its parsed config. */
    String networkFor(HostLocalConfig cfg) {
        return networkName != null ? networkName : cfg.name();
    }
}
