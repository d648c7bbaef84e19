package dev.weft.testkit;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A simulated L2 network joining N "nodes", built entirely inside {@code wt-} namespaces (nothing is
 * created in the root namespace): one namespace {@code wt-<id>-ul} holds a Linux bridge {@code br0};
 * every node is a namespace {@code wt-<id>-nK} whose {@code eth0} is a veth whose peer {@code pK} is a
 * port of that bridge. Node addresses come from a configurable subnet (default 192.168.213.0/24, host
 * .1 for the first node, .2 for the second, ...) and optionally an IPv6 subnet.
 *
 * <pre>{@code
 * try (Underlay ul = Underlay.create()) {
 *     Underlay.Node a = ul.addNode("a"), b = ul.addNode("b");
 *     a.exec("ping", "-c1", "-W1", b.address());
 * }
 * }</pre>
 */
public final class Underlay implements AutoCloseable {
    public static final String DEFAULT_SUBNET = "192.168.213.0/24";
    public static final String BRIDGE = "br0";

    /**
     * A node attached to the underlay.
     *
     * @param netns     the node's namespace name
     * @param path      {@code /run/netns/<netns>}
     * @param address   eth0 IPv4 address (no prefix length)
     * @param address6  eth0 IPv6 address or null when the underlay has no IPv6 subnet
     * @param mac       eth0 MAC address
     * @param port      name of the bridge port (in the underlay namespace) this node hangs off
     */
    public record Node(String label, String netns, Path path, String address, int prefixLength, String address6,
                       int prefixLength6, String mac, String port) {
        public static final String IFNAME = "eth0";

        public String cidr() {
            return address + "/" + prefixLength;
        }

        /** Runs a command inside the node namespace; throws on failure. */
        public Cmd.Result exec(String... cmd) {
            return Cmd.runInNetns(netns, cmd);
        }

        public Cmd.Result tryExec(String... cmd) {
            return Cmd.tryRunInNetns(netns, cmd);
        }
    }

    private final String id;
    private final String subnet;
    private final String subnet6;
    private final int mtu;
    private final TestNetns ulNetns;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, TestNetns> nodeNetns = new LinkedHashMap<>();
    private int nextIndex = 1;
    private boolean closed;

    private Underlay(Builder b) {
        this.id = Names.random(6);
        this.subnet = b.subnet;
        this.subnet6 = b.subnet6;
        this.mtu = b.mtu;
        parseV4(subnet);
        if (subnet6 != null) {
            parseV6(subnet6);
        }
        this.ulNetns = TestNetns.named(Names.PREFIX + id + "-ul");
        try {
            ulNetns.ip("link", "add", BRIDGE, "mtu", Integer.toString(mtu), "type", "bridge",
                    "stp_state", "0", "mcast_snooping", "0");
            ulNetns.ip("link", "set", BRIDGE, "up");
        } catch (RuntimeException e) {
            ulNetns.close();
            throw e;
        }
    }

    /** Default underlay: 192.168.213.0/24, MTU 1500, no IPv6. */
    public static Underlay create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String subnet = DEFAULT_SUBNET;
        private String subnet6;
        private int mtu = 1500;

        private Builder() {}

        /** IPv4 subnet for node eth0 addresses (must be a private range: it only exists inside our namespaces). */
        public Builder subnet(String cidr) {
            this.subnet = cidr;
            return this;
        }

        /** Optional IPv6 subnet (e.g. "fd00:213::/64"); addresses are added with nodad. */
        public Builder ipv6Subnet(String cidr) {
            this.subnet6 = cidr;
            return this;
        }

        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        public Underlay build() {
            return new Underlay(this);
        }
    }

    /** The namespace holding the bridge. */
    public String netns() {
        return ulNetns.name();
    }

    public String bridge() {
        return BRIDGE;
    }

    public int mtu() {
        return mtu;
    }

    public String subnet() {
        return subnet;
    }

    public synchronized List<Node> nodes() {
        return Collections.unmodifiableList(new ArrayList<>(nodes.values()));
    }

    public synchronized Optional<Node> node(String label) {
        return Optional.ofNullable(nodes.get(label));
    }

    /** Creates a node namespace, wires its eth0 to the bridge, addresses it and brings everything up. */
    public synchronized Node addNode(String label) {
        if (closed) {
            throw new IllegalStateException("underlay closed");
        }
        if (nodes.containsKey(label)) {
            throw new IllegalArgumentException("node '" + label + "' exists already");
        }
        int index = nextIndex++;
        String address = hostV4(subnet, index);
        int prefix = prefixOf(subnet);
        String address6 = subnet6 == null ? null : hostV6(subnet6, index);
        int prefix6 = subnet6 == null ? 0 : prefixOf(subnet6);
        String port = "p" + index;
        String m = Integer.toString(mtu);

        TestNetns ns = TestNetns.named(Names.PREFIX + id + "-n" + index);
        try {
            Cmd.run("ip", "link", "add", Node.IFNAME, "netns", ns.name(), "mtu", m,
                    "type", "veth", "peer", "name", port, "netns", ulNetns.name(), "mtu", m);
            ulNetns.ip("link", "set", port, "master", BRIDGE);
            ulNetns.ip("link", "set", port, "up");
            ns.ip("addr", "add", address + "/" + prefix, "dev", Node.IFNAME);
            if (address6 != null) {
                ns.ip("addr", "add", address6 + "/" + prefix6, "dev", Node.IFNAME, "nodad");
            }
            ns.ip("link", "set", Node.IFNAME, "up");
            String mac = KernelState.requireLink(ns.name(), Node.IFNAME).address();
            Node node = new Node(label, ns.name(), ns.path(), address, prefix, address6, prefix6, mac, port);
            nodes.put(label, node);
            nodeNetns.put(label, ns);
            return node;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    /** Deletes a node's namespace (its eth0 and bridge port vanish with it). */
    public synchronized void removeNode(String label) {
        TestNetns ns = nodeNetns.remove(label);
        nodes.remove(label);
        if (ns != null) {
            ns.close();
        }
    }

    /** Takes the node's bridge port down: the node loses underlay connectivity (its eth0 keeps carrier state DOWN). */
    public synchronized void disconnect(String label) {
        ulNetns.ip("link", "set", requireNode(label).port(), "down");
    }

    /** Undoes {@link #disconnect}. */
    public synchronized void reconnect(String label) {
        ulNetns.ip("link", "set", requireNode(label).port(), "up");
    }

    private Node requireNode(String label) {
        Node n = nodes.get(label);
        if (n == null) {
            throw new IllegalArgumentException("no node '" + label + "'");
        }
        return n;
    }

    /** Removes every namespace this underlay created. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        List<TestNetns> all = new ArrayList<>(nodeNetns.values());
        all.add(ulNetns);
        for (TestNetns ns : all) {
            try {
                ns.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        nodeNetns.clear();
        nodes.clear();
        if (failure != null) {
            throw failure;
        }
    }

    // ------------------------------------------------------------ address arithmetic

    static int prefixOf(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR: " + cidr);
        }
        return Integer.parseInt(cidr.substring(slash + 1));
    }

    private static byte[] addrBytes(String cidr) {
        try {
            return InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address in " + cidr, e);
        }
    }

    private static void parseV4(String cidr) {
        if (addrBytes(cidr).length != 4 || prefixOf(cidr) < 1 || prefixOf(cidr) > 30) {
            throw new IllegalArgumentException("IPv4 subnet with prefix 1..30 expected: " + cidr);
        }
    }

    private static void parseV6(String cidr) {
        if (addrBytes(cidr).length != 16 || prefixOf(cidr) < 1 || prefixOf(cidr) > 126) {
            throw new IllegalArgumentException("IPv6 subnet with prefix 1..126 expected: " + cidr);
        }
    }

    /** The index-th host address of an IPv4 subnet (index 1 = network + 1). */
    static String hostV4(String cidr, int index) {
        return host(cidr, index, 32);
    }

    static String hostV6(String cidr, int index) {
        return host(cidr, index, 128);
    }

    private static String host(String cidr, int index, int bits) {
        int prefix = prefixOf(cidr);
        BigInteger base = new BigInteger(1, addrBytes(cidr));
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
        BigInteger network = base.andNot(hostMask);
        BigInteger idx = BigInteger.valueOf(index);
        // keep clear of the all-ones host (IPv4 broadcast)
        if (index < 1 || idx.compareTo(hostMask) >= 0) {
            throw new IllegalStateException("subnet " + cidr + " has no host number " + index);
        }
        byte[] raw = network.add(idx).toByteArray();
        byte[] out = new byte[bits / 8];
        int copy = Math.min(raw.length, out.length);
        System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
        if (bits == 32) {
            return (out[0] & 0xff) + "." + (out[1] & 0xff) + "." + (out[2] & 0xff) + "." + (out[3] & 0xff);
        }
        return compressV6(out);
    }

    /** RFC 5952 text form (longest run of >= 2 zero groups becomes "::"), as ip prints it. */
    static String compressV6(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "Underlay[" + ulNetns.name() + ", " + subnet + ", nodes=" + nodes.keySet() + "]";
    }
}
