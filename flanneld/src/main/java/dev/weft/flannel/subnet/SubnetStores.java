package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.file.FileKvStore;
import dev.weft.flannel.subnet.kv.KvStore;
import java.nio.file.Path;

/** Opens the store named by {@code -subnet-store}: {@code file:/var/lib/weft/subnets.json}, or etcd. */
public final class SubnetStores {
    public static final String FILE_SCHEME = "file:";

    private SubnetStores() {
    }

    /**
     * @param spec {@code file:<path>} for the single-node file store; null, empty or {@code etcd}
     *             for etcd with {@code etcd}'s options (flannel's only store)
     */
    public static KvStore open(String spec, EtcdOptions etcd) {
        if (spec == null || spec.isBlank() || spec.equals("etcd")) {
            return EtcdKvStore.connect(etcd);
        }
        if (spec.startsWith(FILE_SCHEME)) {
            String path = spec.substring(FILE_SCHEME.length());
            if (path.startsWith("//")) {
                path = path.substring(2); // file:///var/lib/... as a URL
            }
            if (path.isEmpty()) {
                throw new IllegalArgumentException("-subnet-store " + spec + ": missing file path");
            }
            return FileKvStore.open(Path.of(path));
        }
        throw new IllegalArgumentException("-subnet-store " + spec + ": expected \"etcd\" or \"file:<path>\"");
    }
}
