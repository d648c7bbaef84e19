package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.Underlay;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A simulated cluster on one machine: an underlay L2 network of node namespaces, etcd as one more
 * host on it, weftd running in each node, and pods made through the CNI chain
 * (weft-flannel → weft-bridge → weft-host-local). Everything lives in wt- namespaces; close()
 * removes all of it.
 */
public final class SimCluster implements AutoCloseable {
    public static final String PREFIX = "/coreos.com/network";
    /** Replaced by the node's directory in {@link Options#extraArgs}. */
    public static final String NODE_DIR = "{node-dir}";
    /** In extra args: replaced by the node's name (n1, n2, ...). */
    public static final String NODE_NAME = "{node-name}";
    /** weftd's CNI socket in a node's directory, with {@link Options#calico}. */
    public static final String CNI_SOCKET = "cni.sock";

    /**
     * @param netConf  the network config JSON written to etcd
     * @param leaseTtl weftd's -subnet-lease-ttl (e.g. "24h", "20s")
     * @param extraArgs more weftd flags for every node; {@value #NODE_DIR} in one stands for the node's
     *                  own directory (a per-node socket path such as the bgp status socket)
     * @param underlayV6 the underlay's IPv6 subnet (every node's eth0 gets an address in it), or null for none
     */
    public record Options(int nodes, String netConf, String leaseTtl, List<String> extraArgs, List<String> etcdArgs,
                          String underlayV6) {
        public Options(int nodes, String netConf, String leaseTtl, List<String> extraArgs, List<String> etcdArgs) {
            this(nodes, netConf, leaseTtl, extraArgs, etcdArgs, null);
        }

        public static Options of(int nodes, String backendJson) {
            return new Options(nodes, "{\"Network\":\"10.244.0.0/16\",\"Backend\":" + backendJson + "}", "24h", List.of(), List.of());
        }

        /**
         * The calico-like stack: the bgp backend on block IPAM ({@code ipamJson} is the net-conf's
         * {@code "IPAM"} object) in {@code network}, each weftd serving its CNI socket and BGP status
         * in the node's directory; pods come from {@link #addRoutedPod} (weft-routed + weft-ipam).
         */
        public static Options calico(int nodes, String network, String backendJson, String ipamJson) {
            return new Options(nodes, "{\"Network\":\"" + network + "\",\"Backend\":" + backendJson + ",\"IPAM\":" + ipamJson + "}",
                    "24h", List.of("-node-name", NODE_NAME, "-cni-socket", NODE_DIR + "/" + CNI_SOCKET,
                    "-bgp-status-socket", NODE_DIR + "/bgp.sock"), List.of());
        }

        public Options withLeaseTtl(String ttl) {
            return new Options(nodes, netConf, ttl, extraArgs, etcdArgs, underlayV6);
        }

        public Options withExtraArgs(List<String> a) {
            return new Options(nodes, netConf, leaseTtl, a, etcdArgs, underlayV6);
        }

        public Options withNetConf(String c) {
            return new Options(nodes, c, leaseTtl, extraArgs, etcdArgs, underlayV6);
        }

        public Options withEtcdArgs(List<String> a) {
            return new Options(nodes, netConf, leaseTtl, extraArgs, a, underlayV6);
        }

        /** A dual-stack underlay: every node's eth0 also gets an address in {@code subnet} (e.g. fd00:213::/64). */
        public Options withUnderlayV6(String subnet) {
            return new Options(nodes, netConf, leaseTtl, extraArgs, etcdArgs, subnet);
        }
    }

    /** A node: its namespace on the underlay, its weftd, its files. */
    public record Node(String name, Underlay.Node host, Path dir, WeftdProcess weftd) {
        public Path subnetEnv() {
            return dir.resolve("subnet.env");
        }

        public String netns() {
            return host.netns();
        }

        public String address() {
            return host.address();
        }

        /** The node's eth0 IPv6 address, or null on an IPv4-only underlay. */
        public String address6() {
            return host.address6();
        }
    }

    /**
     * A pod: its namespace, the node it runs on, and the addresses the CNI result gave it.
     *
     * @param ip  its (first) address
     * @param ip6 its IPv6 address when the result has one as well as an IPv4 one (dual-stack), else null
     */
    public record Pod(String containerId, TestNetns netns, Node node, String ip, String ip6) {
    }

    private final Options options;
    private final Path work;
    private final Launchers launchers;
    private final Underlay underlay;
    private final EtcdServer etcd;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Pod> pods = new ArrayList<>();
    /** Pods made by weft-routed + weft-ipam (the others by the flannel chain), by container id. */
    private final java.util.Set<String> routedPods = new java.util.HashSet<>();
    private int podSeq;

    private SimCluster(Options options, Path work, Launchers launchers, Underlay underlay, EtcdServer etcd) {
        this.options = options;
        this.work = work;
        this.launchers = launchers;
        this.underlay = underlay;
        this.etcd = etcd;
    }

    /** Builds the underlay and etcd, writes the network config, and starts weftd on every node. */
    public static SimCluster start(Options o) {
        Path work;
        try {
            work = Files.createTempDirectory("wt-cluster");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Underlay.Builder ub = Underlay.builder().subnet("192.168.213.0/24");
        Underlay ul = (o.underlayV6() == null ? ub : ub.ipv6Subnet(o.underlayV6())).build();
        SimCluster c = null;
        try {
            Underlay.Node etcdHost = ul.addNode("etcd");
            EtcdServer etcd = EtcdServer.builder().on(etcdHost).extraArgs(o.etcdArgs().toArray(String[]::new)).launch();
            c = new SimCluster(o, work, Launchers.create(work.resolve("bin")), ul, etcd);
            etcd.put(PREFIX + "/config", o.netConf());
            for (int i = 0; i < o.nodes(); i++) {
                c.addNode("n" + (i + 1));
            }
            for (Node n : c.nodes) {
                c.awaitSubnetEnv(n, Duration.ofSeconds(60));
            }
            return c;
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            } else {
                ul.close();
                deleteTree(work);
            }
            throw e;
        }
    }

    /** Adds a node and starts its weftd (does not wait for it). */
    public Node addNode(String name) {
        return addNode(name, underlay, h -> { });
    }

    /**
     * Adds a node on another underlay (a second L2 subnet the caller built, joined to this one by a
     * router it also built and removes), runs {@code beforeStart} on it (its routes to etcd), and
     * starts its weftd.
     */
    public Node addNode(String name, Underlay on, java.util.function.Consumer<Underlay.Node> beforeStart) {
        Underlay.Node h = on.addNode(name);
        beforeStart.accept(h);
        Path dir = work.resolve(name);
        try {
            Files.createDirectories(dir.resolve("state"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> args = new ArrayList<>(List.of("-etcd-endpoints", endpointOnUnderlay(), "-etcd-prefix", PREFIX,
                "-iface", "eth0", "-subnet-file", dir.resolve("subnet.env").toString(), "-state-dir", dir.resolve("state").toString(),
                "-subnet-lease-ttl", options.leaseTtl()));
        for (String a : options.extraArgs()) {
            args.add(a.replace(NODE_DIR, dir.toString()).replace(NODE_NAME, name));
        }
        WeftdProcess w = new WeftdProcess(h.netns(), launchers.weftd(), args, dir.resolve("weftd.log"));
        Node n = new Node(name, h, dir, w);
        nodes.add(n);
        w.start();
        return n;
    }

    /**
     * Takes a node out of the cluster: deletes its pods through the CNI, kills its weftd (its lease
     * stays in etcd until it expires or is deleted) and removes its namespace from the underlay.
     */
    public void removeNode(Node n) {
        for (Pod p : new ArrayList<>(pods)) {
            if (p.node().equals(n)) {
                removePod(p);
            }
        }
        n.weftd().kill();
        nodes.remove(n);
        underlay.removeNode(n.name());
    }

    public String endpointOnUnderlay() {
        return etcd.endpoint();
    }

    public void awaitSubnetEnv(Node n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(n.subnetEnv())) {
            if (!n.weftd().isAlive()) {
                throw new IllegalStateException("weftd on " + n.name() + " exited:\n" + n.weftd().logTail(4000));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("weftd on " + n.name() + " wrote no subnet.env in " + timeout + ":\n" + n.weftd().logTail(4000));
            }
            sleep(100);
        }
    }

    /** subnet.env of a node as a map. */
    public static Map<String, String> readSubnetEnv(Node n) {
        try {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            for (String l : Files.readAllLines(n.subnetEnv())) {
                int eq = l.indexOf('=');
                if (eq > 0) {
                    m.put(l.substring(0, eq), l.substring(eq + 1));
                }
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String podConfig(Node n, String op) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"cbr0\",\"type\":\"weft-flannel\",\"subnetFile\":\"" + n.subnetEnv()
                + "\",\"dataDir\":\"" + n.dir().resolve("cni-flannel") + "\",\"delegate\":{\"hairpinMode\":true,\"isDefaultGateway\":true},"
                + "\"ipam\":{\"dataDir\":\"" + n.dir().resolve("cni-networks") + "\"}}";
    }

    /** weft-routed with weft-ipam asking the node's weftd (Calico's data plane and IPAM). */
    private String routedConfig(Node n) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s-pod-network\",\"type\":\"weft-routed\",\"subnetFile\":\"" + n.subnetEnv()
                + "\",\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + n.dir().resolve(CNI_SOCKET) + "\"}}";
    }

    /** Creates a pod on a node through the CNI chain, exactly as a runtime would. */
    public Pod addPod(Node n) {
        return addPod(n, false);
    }

    /** Creates a pod through weft-routed + weft-ipam (a cluster of {@link Options#calico}). */
    public Pod addRoutedPod(Node n) {
        return addPod(n, true);
    }

    /**
     * The default route a real node has, towards an underlay address nobody holds: the kernel's proxy
     * ARP answers a routed pod's ARP for its gateway 169.254.1.1 only when the host has a route to it
     * (Calico relies on the node's default route the same way).
     */
    private void ensureDefaultRoute(Node n) {
        if (Cmd.run("ip", "-n", n.netns(), "-4", "route", "show", "default").stdout().isBlank()) {
            String net = underlay.subnet();
            String gw = net.substring(0, net.lastIndexOf('.') + 1) + "254";
            Cmd.run("ip", "-n", n.netns(), "route", "add", "default", "via", gw, "dev", "eth0");
        }
    }

    private Pod addPod(Node n, boolean routed) {
        TestNetns ns = TestNetns.create("pod");
        String id = "pod-" + n.name() + "-" + (++podSeq);
        if (routed) {
            routedPods.add(id);
            ensureDefaultRoute(n);
        }
        Cmd.Result r = cni(n, "ADD", id, ns);
        if (!r.ok()) {
            ns.close();
            routedPods.remove(id);
            throw new IllegalStateException("CNI ADD on " + n.name() + " failed: " + r.stdout() + " " + r.stderr());
        }
        String ip = parseIp(r.stdout());
        String ip6 = parseIp6(r.stdout());
        Pod p = new Pod(id, ns, n, ip, ip.equals(ip6) ? null : ip6);
        pods.add(p);
        return p;
    }

    public void removePod(Pod p) {
        Cmd.Result r = cni(p.node(), "DEL", p.containerId(), p.netns());
        pods.remove(p);
        routedPods.remove(p.containerId());
        p.netns().close();
        if (!r.ok()) {
            throw new IllegalStateException("CNI DEL failed: " + r.stdout() + " " + r.stderr());
        }
    }

    private Cmd.Result cni(Node n, String verb, String id, TestNetns ns) {
        boolean routed = routedPods.contains(id);
        return Cmd.of("ip", "netns", "exec", n.netns(), launchers.plugin(routed ? "weft-routed" : "weft-flannel").toString())
                .unsetEnvPrefix("CNI_")
                .env("CNI_COMMAND", verb).env("CNI_CONTAINERID", id).env("CNI_NETNS", ns.path().toString())
                .env("CNI_IFNAME", "eth0").env("CNI_PATH", launchers.cniBin().toString())
                .input(routed ? routedConfig(n) : podConfig(n, verb)).timeout(Duration.ofSeconds(60)).tryRun();
    }

    private static String parseIp(String json) {
        int i = json.indexOf("\"address\":\"");
        if (i < 0) {
            throw new IllegalStateException("no address in CNI result: " + json);
        }
        int s = i + 11;
        return json.substring(s, json.indexOf('/', s));
    }

    /** The first IPv6 address in a CNI result, or null. */
    private static String parseIp6(String json) {
        for (int i = json.indexOf("\"address\":\""); i >= 0; i = json.indexOf("\"address\":\"", i + 1)) {
            int s = i + 11;
            String a = json.substring(s, json.indexOf('/', s));
            if (a.contains(":")) {
                return a;
            }
        }
        return null;
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(int i) {
        return nodes.get(i);
    }

    public EtcdServer etcd() {
        return etcd;
    }

    public Underlay underlay() {
        return underlay;
    }

    public Launchers launchers() {
        return launchers;
    }

    public Path work() {
        return work;
    }

    /** Thread.sleep, an interrupt turned into an unchecked failure (tests and their helpers poll with it). */
    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Pod p : new ArrayList<>(pods)) {
            try {
                removePod(p);
            } catch (RuntimeException e) {
                p.netns().close();
            }
        }
        for (Node n : nodes) {
            n.weftd().kill();
        }
        try {
            etcd.close();
        } finally {
            underlay.close();
            deleteTree(work);
        }
    }

    /** Removes a directory tree, best effort (cleanup of work directories by tests and benches). */
    public static void deleteTree(Path d) {
        if (!Files.exists(d)) {
            return;
        }
        try (var s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
