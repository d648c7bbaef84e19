package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.udp.UdpSettings;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * weftd's flags. Every one of flanneld's is accepted under its own name (single or double dash,
 * {@code -flag value} or {@code -flag=value}), and each falls back to its {@code FLANNELD_*}
 * environment variable, so a kube-flannel manifest switches to weftd by changing image and command.
 */
@Command(name = "weftd", mixinStandardHelpOptions = false, sortOptions = false,
        description = "Weft node daemon: flannel-compatible subnet leases and overlay backends.")
public final class WeftdOptions {
    @Option(names = {"-etcd-endpoints", "--etcd-endpoints"}, defaultValue = "${env:FLANNELD_ETCD_ENDPOINTS:-http://127.0.0.1:4001,http://127.0.0.1:2379}",
            description = "comma-separated etcd endpoints (env FLANNELD_ETCD_ENDPOINTS)")
    String etcdEndpoints;

    @Option(names = {"-etcd-prefix", "--etcd-prefix"}, defaultValue = "${env:FLANNELD_ETCD_PREFIX:-/coreos.com/network}",
            description = "etcd prefix (env FLANNELD_ETCD_PREFIX)")
    String etcdPrefix;

    @Option(names = {"-etcd-cafile", "--etcd-cafile"}, defaultValue = "${env:FLANNELD_ETCD_CAFILE:-}")
    String etcdCaFile;

    @Option(names = {"-etcd-certfile", "--etcd-certfile"}, defaultValue = "${env:FLANNELD_ETCD_CERTFILE:-}")
    String etcdCertFile;

    @Option(names = {"-etcd-keyfile", "--etcd-keyfile"}, defaultValue = "${env:FLANNELD_ETCD_KEYFILE:-}")
    String etcdKeyFile;

    @Option(names = {"-etcd-username", "--etcd-username"}, defaultValue = "${env:FLANNELD_ETCD_USERNAME:-}")
    String etcdUsername;

    @Option(names = {"-etcd-password", "--etcd-password"}, defaultValue = "${env:FLANNELD_ETCD_PASSWORD:-}")
    String etcdPassword;

    @Option(names = {"-subnet-store", "--subnet-store"}, defaultValue = "${env:FLANNELD_SUBNET_STORE:-}",
            description = "file:/path/subnets.json for a single node without etcd (env FLANNELD_SUBNET_STORE)")
    String subnetStore;

    @Option(names = {"-iface", "--iface"}, description = "interface name or IP to use; repeatable, tried in order (env FLANNELD_IFACE, comma list)")
    List<String> iface = new ArrayList<>();

    @Option(names = {"-iface-regex", "--iface-regex"}, description = "regex over interface IPs, then names; repeatable (env FLANNELD_IFACE_REGEX)")
    List<String> ifaceRegex = new ArrayList<>();

    @Option(names = {"-public-ip", "--public-ip"}, defaultValue = "${env:FLANNELD_PUBLIC_IP:-}")
    String publicIp;

    @Option(names = {"-public-ipv6", "--public-ipv6"}, defaultValue = "${env:FLANNELD_PUBLIC_IPV6:-}")
    String publicIpV6;

    @Option(names = {"-ip-masq", "--ip-masq"}, defaultValue = "${env:FLANNELD_IP_MASQ:-false}", arity = "0..1", fallbackValue = "true")
    boolean ipMasq;

    @Option(names = {"-ip-masq-fully-random-disable", "--ip-masq-fully-random-disable"},
            defaultValue = "${env:FLANNELD_IP_MASQ_FULLY_RANDOM_DISABLE:-false}", arity = "0..1", fallbackValue = "true")
    boolean fullyRandomDisable;

    @Option(names = {"-subnet-file", "--subnet-file"}, defaultValue = "${env:FLANNELD_SUBNET_FILE:-/run/flannel/subnet.env}")
    String subnetFile;

    @Option(names = {"-subnet-lease-renew-margin", "--subnet-lease-renew-margin"},
            defaultValue = "${env:FLANNELD_SUBNET_LEASE_RENEW_MARGIN:-60}", description = "minutes before expiry to renew (1..1439)")
    int renewMarginMinutes;

    @Option(names = {"-subnet-lease-ttl", "--subnet-lease-ttl"}, defaultValue = "${env:FLANNELD_SUBNET_LEASE_TTL:-24h}",
            description = "lease TTL, e.g. 24h, 30s (Weft; flannel fixes it at 24h)")
    String leaseTtl;

    @Option(names = {"-iptables-resync", "--iptables-resync"}, defaultValue = "${env:FLANNELD_IPTABLES_RESYNC:-5}", description = "seconds")
    int iptablesResync;

    @Option(names = {"-iptables-forward-rules", "--iptables-forward-rules"}, defaultValue = "${env:FLANNELD_IPTABLES_FORWARD_RULES:-true}",
            arity = "0..1", fallbackValue = "true")
    boolean forwardRules;

    @Option(names = {"-healthz-ip", "--healthz-ip"}, defaultValue = "${env:FLANNELD_HEALTHZ_IP:-0.0.0.0}")
    String healthzIp;

    @Option(names = {"-healthz-port", "--healthz-port"}, defaultValue = "${env:FLANNELD_HEALTHZ_PORT:-0}")
    int healthzPort;

    @Option(names = {"-udp-offload", "--udp-offload"}, defaultValue = "${env:FLANNELD_UDP_OFFLOAD:-true}", arity = "0..1",
            fallbackValue = "true", description = "udp backend: use TSO/GSO/GRO offloads where the kernel has them (Weft; false forces one packet per syscall)")
    boolean udpOffload;

    @Option(names = {"-udp-threads", "--udp-threads"}, defaultValue = "${env:FLANNELD_UDP_THREADS:-0}",
            description = "udp backend: event loops of the data path, 1 (both directions on one) or 2 (one per direction); 0 = 2 when the node has several CPUs (Weft)")
    int udpThreads;

    @Option(names = {"-udp-accept-any-source", "--udp-accept-any-source"}, defaultValue = "${env:FLANNELD_UDP_ACCEPT_ANY_SOURCE:-false}",
            arity = "0..1", fallbackValue = "true", description = "udp backend: write every datagram to the TUN, whoever sent it and "
            + "whatever its inner addresses, as flannel does (Weft; by default only a lease holder's, from its subnet to ours)")
    boolean udpAcceptAnySource;

    /** The udp backend's settings from the -udp-* flags. */
    UdpSettings udpSettings() {
        return new UdpSettings(udpOffload, udpThreads, udpAcceptAnySource);
    }

    @Option(names = {"-net-config-path", "--net-config-path"}, defaultValue = "${env:FLANNELD_NET_CONFIG_PATH:-}",
            description = "read the network config from this file instead of <prefix>/config in etcd")
    String netConfigPath;

    @Option(names = {"-state-dir", "--state-dir"}, defaultValue = "${env:FLANNELD_STATE_DIR:-/var/lib/weft}",
            description = "where weftd keeps what must survive restarts (the VTEP MAC)")
    String stateDir;

    @Option(names = {"-cni-socket", "--cni-socket"}, defaultValue = "${env:WEFTD_CNI_SOCKET:-/run/weft/cni.sock}",
            description = "with block IPAM (net-conf IPAM Type blocks): the root-only socket weft-ipam asks for addresses")
    String cniSocket;

    @Option(names = {"-node-name", "--node-name"}, defaultValue = "${env:NODE_NAME:-}",
            description = "this node's name in block IPAM (default: the host name)")
    String nodeName;

    @Option(names = {"-kube-subnet-mgr", "--kube-subnet-mgr"}, defaultValue = "${env:FLANNELD_KUBE_SUBNET_MGR:-false}", arity = "0..1",
            fallbackValue = "true", description = "not supported by weftd yet")
    boolean kubeSubnetMgr;

    @Option(names = {"-v", "--v"}, defaultValue = "${env:FLANNELD_V:-0}", description = "log verbosity (0 info, 1+ debug)")
    int verbosity;

    @Option(names = {"-version", "--version"}, description = "print the version and exit")
    boolean version;

    @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    /** -iface / -iface-regex from the command line, or from their env forms (comma lists) when absent. */
    List<String> ifaces() {
        return iface.isEmpty() ? envList("FLANNELD_IFACE") : iface;
    }

    List<String> ifaceRegexes() {
        return ifaceRegex.isEmpty() ? envList("FLANNELD_IFACE_REGEX") : ifaceRegex;
    }

    private static List<String> envList(String name) {
        String v = System.getenv(name);
        List<String> l = new ArrayList<>();
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    l.add(s.trim());
                }
            }
        }
        return l;
    }
}
