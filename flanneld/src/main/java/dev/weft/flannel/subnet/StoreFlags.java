package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.kv.KvStore;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/**
 * Where the subnet leases live: flanneld's etcd flags (each with its FLANNELD_* variable) and
 * Weft's -subnet-store. One definition shared by weftd and by weftctl's lease commands, so that
 * weftctl reads the leases with exactly the settings (or the /etc/default/weftd) weftd runs with.
 */
public final class StoreFlags {
    @Option(names = {"-etcd-endpoints", "--etcd-endpoints"}, defaultValue = "${env:FLANNELD_ETCD_ENDPOINTS:-http://127.0.0.1:4001,http://127.0.0.1:2379}",
            description = "comma-separated etcd endpoints")
    public String etcdEndpoints;

    @Option(names = {"-etcd-prefix", "--etcd-prefix"}, defaultValue = "${env:FLANNELD_ETCD_PREFIX:-/coreos.com/network}",
            description = "etcd prefix under which the network config and the subnet leases live")
    public String etcdPrefix;

    @Option(names = {"-etcd-cafile", "--etcd-cafile"}, defaultValue = "${env:FLANNELD_ETCD_CAFILE:-}",
            description = "CA certificate (PEM) that signs etcd's server certificate; alone it turns on server-only TLS")
    String etcdCaFile;

    @Option(names = {"-etcd-certfile", "--etcd-certfile"}, defaultValue = "${env:FLANNELD_ETCD_CERTFILE:-}",
            description = "client certificate (PEM) for etcd; needs -etcd-keyfile")
    String etcdCertFile;

    @Option(names = {"-etcd-keyfile", "--etcd-keyfile"}, defaultValue = "${env:FLANNELD_ETCD_KEYFILE:-}",
            description = "private key (PEM) of -etcd-certfile")
    String etcdKeyFile;

    @Option(names = {"-etcd-username", "--etcd-username"}, defaultValue = "${env:FLANNELD_ETCD_USERNAME:-}",
            description = "user name for etcd authentication")
    String etcdUsername;

    @Option(names = {"-etcd-password", "--etcd-password"}, defaultValue = "${env:FLANNELD_ETCD_PASSWORD:-}",
            showDefaultValue = Visibility.NEVER,
            description = "password for etcd authentication (default: none; the value is never shown here)")
    String etcdPassword;

    @Option(names = {"-subnet-store", "--subnet-store"}, defaultValue = "${env:FLANNELD_SUBNET_STORE:-}",
            description = "file:/path/subnets.json for a single node without etcd (Weft); empty: etcd")
    public String subnetStore;

    /** Opens the store these flags name: the file store, or an etcd client (TLS and auth as given). */
    public KvStore open() {
        EtcdOptions etcd = EtcdOptions.of(etcdEndpoints);
        // a CA alone means server-only TLS; a certificate without its key (or the reverse) is refused there
        etcd = etcd.withTls(etcdCaFile, etcdCertFile, etcdKeyFile);
        if (!etcdUsername.isEmpty()) {
            etcd = etcd.withAuth(etcdUsername, etcdPassword);
        }
        return SubnetStores.open(subnetStore.isEmpty() ? "etcd" : subnetStore, etcd);
    }
}
