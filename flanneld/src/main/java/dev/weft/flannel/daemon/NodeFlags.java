package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.bgp.BgpSettings;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * What names this node and where its network config and state live: -node-name, -net-config-path,
 * -state-dir. One definition shared by weftd and by {@code weftctl ipam}, so weftctl finds the node's
 * blocks, pools and IPAM journal with exactly the settings (or the /etc/default/weftd) weftd runs with.
 */
public final class NodeFlags {
    /** The IPAM journal's name in the state directory. */
    public static final String IPAM_JOURNAL = "ipam-journal";

    @Option(names = {"-node-name", "--node-name"}, defaultValue = "${env:NODE_NAME:-}",
            description = "this node's name: block IPAM's affinities and allocations, and for the bgp backend"
                    + " Peers[].NodeSelector and RouteReflector.Nodes, written to its lease (default: the host name)")
    public String nodeName;

    @Option(names = {"-net-config-path", "--net-config-path"}, defaultValue = "${env:FLANNELD_NET_CONFIG_PATH:-}",
            description = "read the network config from this file instead of <prefix>/config in etcd")
    public String netConfigPath;

    @Option(names = {"-state-dir", "--state-dir"}, defaultValue = "${env:FLANNELD_STATE_DIR:-/var/lib/weft}",
            description = "where weftd keeps what must survive restarts (the VTEP MAC, the IPAM journal)")
    public String stateDir;

    /** -node-name, or the kernel's host name (what Kubernetes names a node unless told otherwise). */
    public String resolvedNodeName() {
        return nodeName == null || nodeName.isEmpty() ? BgpSettings.hostName() : nodeName;
    }

    public Path ipamJournal() {
        return Path.of(stateDir, IPAM_JOURNAL);
    }

    /** The net-conf text: the -net-config-path file, else {@code <etcdPrefix>/config} (empty when absent). */
    public String rawNetConf(KvStore store, String etcdPrefix) throws IOException {
        return !netConfigPath.isEmpty() ? Files.readString(Path.of(netConfigPath))
                : store.get(etcdPrefix + "/config").map(KvEntry::value).orElse("");
    }
}
