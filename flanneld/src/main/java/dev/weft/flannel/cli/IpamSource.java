package dev.weft.flannel.cli;

import dev.weft.flannel.daemon.NodeFlags;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.flannel.subnet.StoreFlags;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.ipam.blocks.PoolConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where {@code weftctl ipam} finds the node's block IPAM: weftd's own etcd flags and node flags (so
 * {@code set -a; . /etc/default/weftd; weftctl ipam check} looks at what weftd uses), and the
 * runtime's CNI result cache for the node's pods.
 */
final class IpamSource {
    static final Duration ETCD_TIMEOUT = Duration.ofSeconds(10);

    @Mixin
    StoreFlags store = new StoreFlags();

    @Mixin
    NodeFlags node = new NodeFlags();

    @Option(names = "--cni-cache-dir", defaultValue = "${env:WEFTCTL_CNI_CACHE_DIR:-" + CniCache.DEFAULT_DIR + "}",
            description = "the container runtime's CNI result cache (libcni's), which lists this node's pods")
    Path cniCacheDir;

    /** An open etcd client with weftd's IPAM prefix. */
    record Opened(KvStore kv, EtcdKvStore etcd, String prefix) implements AutoCloseable {
        IpamTree tree() throws IpamException {
            return IpamTree.read(etcd.client().getKVClient(), prefix, ETCD_TIMEOUT);
        }

        @Override
        public void close() {
            kv.close();
        }
    }

    Opened open() {
        KvStore kv = store.open();
        if (!(kv instanceof EtcdKvStore etcd)) {
            kv.close();
            throw new IllegalArgumentException("block IPAM lives in etcd; -subnet-store " + store.subnetStore + " has none");
        }
        return new Opened(kv, etcd, BlockIpam.prefixUnder(store.etcdPrefix));
    }

    /** The pools from weftd's net-conf (-net-config-path, or {@code <etcd-prefix>/config}). */
    PoolConfig pools(Opened o) throws IOException {
        String raw = node.rawNetConf(o.kv(), store.etcdPrefix);
        String where = node.netConfigPath.isEmpty() ? store.etcdPrefix + "/config" : node.netConfigPath;
        if (raw.isEmpty()) {
            throw new IOException("no net-conf at " + where);
        }
        try {
            return PoolConfig.fromNetConf(raw);
        } catch (IpamException e) {
            throw new IOException("the net-conf at " + where + " sets up no block IPAM: " + e.getMessage(), e);
        }
    }

    CniCache.Pods pods() throws IOException {
        return CniCache.read(cniCacheDir);
    }
}
