package dev.weft.flannel.backend.bgp;

import java.nio.file.Path;

/**
 * This node's bgp settings that come from weftd's flags rather than the net-conf.
 *
 * @param nodeName     the node's name, for {@code Peers[].NodeSelector} and {@code RouteReflector.Nodes}
 * @param statusSocket where the agent serves {@code weftctl bgp} (null: not served)
 * @param userspaceIpip the userspace IPIP data path used when the kernel has no ipip driver, or
 *                     null to look one up through {@link java.util.ServiceLoader}
 * @param bpfIpip      the IPIP data path tried before the userspace one when the kernel has no ipip
 *                     driver: tc programs ({@link IpipPathPlane#BPF}); a factory that throws
 *                     {@link dev.weft.flannel.backend.BackendException} (the kernel refused) falls
 *                     back to {@code userspaceIpip}
 */
public record BgpSettings(String nodeName, Path statusSocket, IpipDataPlane.Factory userspaceIpip, IpipDataPlane.Factory bpfIpip) {
    public static final String DEFAULT_STATUS_SOCKET = "/run/weft/bgp.sock";

    /** The bpf data path first, then {@code userspaceIpip}. */
    public BgpSettings(String nodeName, Path statusSocket, IpipDataPlane.Factory userspaceIpip) {
        this(nodeName, statusSocket, userspaceIpip, IpipPathPlane.BPF);
    }

    public static BgpSettings defaults() {
        return new BgpSettings(hostName(), Path.of(DEFAULT_STATUS_SOCKET), null);
    }

    /** The kernel's host name (what Kubernetes names a node unless told otherwise). */
    public static String hostName() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
