package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.bgp.BgpSettings;
import dev.weft.flannel.backend.udp.UdpSettings;
import java.util.ArrayList;
import java.util.List;
import dev.weft.flannel.subnet.StoreFlags;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/**
 * weftd's flags. Every one of flanneld's is accepted under its own name (single or double dash,
 * {@code -flag value} or {@code -flag=value}), and each falls back to its {@code FLANNELD_*}
 * environment variable, so a kube-flannel manifest switches to weftd by changing image and command.
 */
@Command(name = "weftd", mixinStandardHelpOptions = false, sortOptions = false, showDefaultValues = true,
        description = "Weft node daemon: flannel-compatible subnet leases and overlay backends.",
        footer = {"", "Every flag can also be set by its environment variable FLANNELD_<FLAG>, upper case with dashes as "
                + "underscores (-etcd-endpoints: FLANNELD_ETCD_ENDPOINTS); a flag on the command line wins. "
                + "The defaults shown already include those variables."})
public final class WeftdOptions {
    /** -etcd-* and -subnet-store, shared with weftctl's lease commands. */
    @Mixin
    StoreFlags store = new StoreFlags();

    @Option(names = {"-iface", "--iface"}, showDefaultValue = Visibility.NEVER, description = "interface name or IP to use; repeatable, tried in order (FLANNELD_IFACE: a comma list). Default: the IPv4 default route's interface")
    List<String> iface = new ArrayList<>();

    @Option(names = {"-iface-regex", "--iface-regex"}, showDefaultValue = Visibility.NEVER, description = "regex over interface IPs, then names; repeatable, tried after -iface (FLANNELD_IFACE_REGEX: a comma list). Default: none")
    List<String> ifaceRegex = new ArrayList<>();

    @Option(names = {"-iface-can-reach", "--iface-can-reach"}, defaultValue = "${env:FLANNELD_IFACE_CAN_REACH:-}",
            description = "use the interface (and source address) of the route to this IP, as `ip route get IP` shows it; tried after -iface and -iface-regex")
    String ifaceCanReach;

    @Option(names = {"-public-ip", "--public-ip"}, defaultValue = "${env:FLANNELD_PUBLIC_IP:-}",
            description = "IPv4 address advertised to the other nodes; empty: the interface's address")
    String publicIp;

    @Option(names = {"-public-ipv6", "--public-ipv6"}, defaultValue = "${env:FLANNELD_PUBLIC_IPV6:-}",
            description = "IPv6 address advertised to the other nodes; empty: the interface's address")
    String publicIpV6;

    @Option(names = {"-ip-masq", "--ip-masq"}, defaultValue = "${env:FLANNELD_IP_MASQ:-false}", arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true",
            description = "masquerade traffic from pods to outside the overlay network")
    boolean ipMasq;

    @Option(names = {"-ip-masq-fully-random-disable", "--ip-masq-fully-random-disable"},
            defaultValue = "${env:FLANNELD_IP_MASQ_FULLY_RANDOM_DISABLE:-false}", arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true",
            description = "masquerade without --random-fully")
    boolean fullyRandomDisable;

    @Option(names = {"-subnet-file", "--subnet-file"}, defaultValue = "${env:FLANNELD_SUBNET_FILE:-/run/flannel/subnet.env}",
            description = "where the subnet, MTU and masquerade setting are written for the CNI plugin")
    String subnetFile;

    @Option(names = {"-subnet-lease-renew-margin", "--subnet-lease-renew-margin"},
            defaultValue = "${env:FLANNELD_SUBNET_LEASE_RENEW_MARGIN:-60}", description = "minutes before expiry to renew (1..1439)")
    int renewMarginMinutes;

    @Option(names = {"-subnet-lease-ttl", "--subnet-lease-ttl"}, defaultValue = "${env:FLANNELD_SUBNET_LEASE_TTL:-24h}",
            description = "lease TTL, e.g. 24h, 30s (Weft; flannel fixes it at 24h)")
    String leaseTtl;

    @Option(names = {"-iptables-resync", "--iptables-resync"}, defaultValue = "${env:FLANNELD_IPTABLES_RESYNC:-5}", description = "seconds between checks of the masquerade and forward rules (and of the blackhole route)")
    int iptablesResync;

    @Option(names = {"-iptables-forward-rules", "--iptables-forward-rules"}, defaultValue = "${env:FLANNELD_IPTABLES_FORWARD_RULES:-true}",
            arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true", description = "accept forwarded traffic from and to the overlay network in FORWARD")
    boolean forwardRules;

    @Option(names = {"-ip-blackhole-route", "--ip-blackhole-route"}, defaultValue = "${env:FLANNELD_IP_BLACKHOLE_ROUTE:-false}",
            arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true", description = "keep a blackhole route for the node's own subnet, for setups without a bridge that owns it")
    boolean ipBlackholeRoute;

    @Option(names = {"-healthz-ip", "--healthz-ip"}, defaultValue = "${env:FLANNELD_HEALTHZ_IP:-0.0.0.0}",
            description = "address of the /healthz, /readyz and /metrics server")
    String healthzIp;

    @Option(names = {"-healthz-port", "--healthz-port"}, defaultValue = "${env:FLANNELD_HEALTHZ_PORT:-0}",
            description = "port of the /healthz, /readyz and /metrics server; 0 turns it off")
    int healthzPort;

    @Option(names = {"-status-socket", "--status-socket"}, defaultValue = "${env:FLANNELD_STATUS_SOCKET:-/run/weft/weftd.sock}",
            description = "Unix socket (root only) where weftctl status reads this node's state, beside /healthz, /readyz and /metrics; empty turns it off (Weft)")
    String statusSocket;

    @Option(names = {"-udp-offload", "--udp-offload"}, defaultValue = "${env:FLANNELD_UDP_OFFLOAD:-true}", arity = "0..1", showDefaultValue = Visibility.ALWAYS,
            fallbackValue = "true", description = "udp backend: use TSO/GSO/GRO offloads where the kernel has them (Weft; false forces one packet per syscall)")
    boolean udpOffload;

    @Option(names = {"-udp-threads", "--udp-threads"}, defaultValue = "${env:FLANNELD_UDP_THREADS:-0}",
            description = "udp backend: event loops of the data path, 1 (both directions on one) or 2 (one per direction); 0 = 2 when the node has several CPUs (Weft)")
    int udpThreads;

    @Option(names = {"-udp-accept-any-source", "--udp-accept-any-source"}, defaultValue = "${env:FLANNELD_UDP_ACCEPT_ANY_SOURCE:-false}",
            arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true", description = "udp backend: write every datagram to the TUN, whoever sent it and "
            + "whatever its inner addresses, as flannel does (Weft; by default only a lease holder's, from its subnet to ours)")
    boolean udpAcceptAnySource;

    /** The udp backend's settings from the -udp-* flags. */
    UdpSettings udpSettings() {
        return new UdpSettings(udpOffload, udpThreads, udpAcceptAnySource);
    }

    @Option(names = {"-bgp-status-socket", "--bgp-status-socket"}, defaultValue = "${env:WEFTD_BGP_STATUS_SOCKET:-"
            + BgpSettings.DEFAULT_STATUS_SOCKET + "}",
            description = "bgp backend: the Unix socket weftctl bgp reads (empty: none)")
    String bgpStatusSocket;

    @Option(names = {"-bgp-ipip-dataplane", "--bgp-ipip-dataplane"}, defaultValue = "${env:WEFTD_BGP_IPIP_DATAPLANE:-auto}",
            description = "bgp backend, Encap IPIP on a kernel without the ipip driver: auto (tc programs, the userspace "
                    + "path when the kernel refuses them) or userspace")
    String bgpIpipDataplane;

    /** The bgp backend's settings from the -bgp-* flags. */
    BgpSettings bgpSettings() {
        java.nio.file.Path socket = bgpStatusSocket == null || bgpStatusSocket.isEmpty() ? null : java.nio.file.Path.of(bgpStatusSocket);
        return switch (bgpIpipDataplane) {
            case "auto" -> new BgpSettings(node.resolvedNodeName(), socket, null);
            case "userspace" -> new BgpSettings(node.resolvedNodeName(), socket, null, null);
            default -> throw new IllegalArgumentException("-bgp-ipip-dataplane is auto or userspace, not " + bgpIpipDataplane);
        };
    }

    /** -node-name, -net-config-path and -state-dir, shared with weftctl ipam. */
    @Mixin
    NodeFlags node = new NodeFlags();

    @Option(names = {"-cni-socket", "--cni-socket"}, defaultValue = "${env:WEFTD_CNI_SOCKET:-/run/weft/cni.sock}",
            description = "with block IPAM (net-conf IPAM Type blocks): the root-only socket weft-ipam asks for addresses")
    String cniSocket;

    @Option(names = {"-kube-subnet-mgr", "--kube-subnet-mgr"}, defaultValue = "${env:FLANNELD_KUBE_SUBNET_MGR:-false}", arity = "0..1", showDefaultValue = Visibility.ALWAYS,
            fallbackValue = "true", description = "flannel's Kubernetes subnet manager: refused, this build leases from etcd")
    boolean kubeSubnetMgr;

    @Option(names = {"-kube-api-url", "--kube-api-url"}, defaultValue = "${env:FLANNELD_KUBE_API_URL:-}",
            description = "Kubernetes mode only: refused, this build leases from etcd")
    String kubeApiUrl;

    @Option(names = {"-kubeconfig-file", "--kubeconfig-file"}, defaultValue = "${env:FLANNELD_KUBECONFIG_FILE:-}",
            description = "Kubernetes mode only: refused, this build leases from etcd")
    String kubeconfigFile;

    @Option(names = {"-kube-annotation-prefix", "--kube-annotation-prefix"}, defaultValue = "${env:FLANNELD_KUBE_ANNOTATION_PREFIX:-flannel.alpha.coreos.com}",
            description = "Kubernetes mode only: refused, this build leases from etcd")
    String kubeAnnotationPrefix;

    @Option(names = {"-set-node-network-unavailable", "--set-node-network-unavailable"},
            defaultValue = "${env:FLANNELD_SET_NODE_NETWORK_UNAVAILABLE:-true}", arity = "0..1", showDefaultValue = Visibility.ALWAYS, fallbackValue = "true",
            description = "Kubernetes mode only: refused, this build leases from etcd")
    boolean setNodeNetworkUnavailable;

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
