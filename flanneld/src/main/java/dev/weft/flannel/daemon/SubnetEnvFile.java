package dev.weft.flannel.daemon;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.fs.AtomicFile;
import dev.weft.net.Cidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * subnet.env exactly as flanneld writes it: the enabled families' variables in flannel's order,
 * KEY=value lines, 0644, replaced atomically (temp file, fsync, rename) so the CNI plugin never
 * reads half a file.
 */
final class SubnetEnvFile {
    private SubnetEnvFile() {
    }

    static String render(NetworkConfig cfg, Lease lease, int mtu, boolean ipMasq) {
        StringBuilder s = new StringBuilder();
        if (cfg.enableIPv4()) {
            s.append("FLANNEL_NETWORK=").append(cfg.network()).append('\n');
            s.append("FLANNEL_SUBNET=").append(firstHost(lease.subnet())).append('\n');
        }
        if (cfg.enableIPv6() && lease.subnetV6() != null) {
            s.append("FLANNEL_IPV6_NETWORK=").append(cfg.ipv6().network()).append('\n');
            s.append("FLANNEL_IPV6_SUBNET=").append(firstHost(lease.subnetV6())).append('\n');
        }
        s.append("FLANNEL_MTU=").append(mtu).append('\n');
        s.append("FLANNEL_IPMASQ=").append(ipMasq).append('\n');
        return s.toString();
    }

    /**
     * subnet.env of a node on block IPAM, which holds no subnet: the network, the MTU and -ip-masq
     * (what weft-routed reads); no FLANNEL_SUBNET, so the flannel CNI, which needs one, says so.
     */
    static String renderForBlocks(NetworkConfig cfg, int mtu, boolean ipMasq) {
        StringBuilder s = new StringBuilder();
        if (cfg.enableIPv4()) {
            s.append("FLANNEL_NETWORK=").append(cfg.network()).append('\n');
        }
        if (cfg.enableIPv6()) {
            s.append("FLANNEL_IPV6_NETWORK=").append(cfg.ipv6().network()).append('\n');
        }
        s.append("FLANNEL_MTU=").append(mtu).append('\n');
        s.append("FLANNEL_IPMASQ=").append(ipMasq).append('\n');
        return s.toString();
    }

    /** The lease's network address + 1 with the subnet's prefix: 10.244.1.0/24 → 10.244.1.1/24. */
    static String firstHost(Cidr subnet) {
        return Cidr.of(subnet.networkAddress().next(), subnet.prefixLength()).toString();
    }

    static void write(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        // 0644 whatever the umask, as flannel's renameio does.
        AtomicFile.write(file, content.getBytes(StandardCharsets.UTF_8), 0644);
    }
}
