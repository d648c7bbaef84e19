package dev.weft.flannel.backend.ipip;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.VethPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two nodes on two L2 subnets joined by a router namespace that forwards but knows no pod routes:
 * node a 192.168.10.2 (router .1), node b 192.168.20.2 (router .1), and a third subnet
 * 192.168.30.0/24 for a stranger k at .2 (a hand-made "kernel node" in the interop test). Each node
 * has a pod behind a veth (10.244.1.2 behind a, 10.244.2.2 behind b), the userspace IPIP data path
 * (tunl0, MTU 1480, tunnel address .129 of its subnet) and the routes a bgp backend would install:
 * {@code <other subnet> via <other node> dev tunl0 onlink}. Each node runs the userspace data path
 * or the bpf one ({@link Kind}); the field of the other kind is null.
 */
final class IpipLab implements AutoCloseable {
    final TestNetns router;
    final TestNetns a;
    final TestNetns b;
    final TestNetns k;
    final TestNetns podA;
    final TestNetns podB;
    final UserspaceIpip ipipA;
    final UserspaceIpip ipipB;
    final BpfIpip bpfA;
    final BpfIpip bpfB;
    private final List<AutoCloseable> open = new ArrayList<>();

    /** Which IPIP data path a node runs. */
    enum Kind { USERSPACE, BPF }

    IpipLab() {
        this(Kind.USERSPACE, Kind.USERSPACE);
    }

    IpipLab(Kind kindA, Kind kindB) {
        try {
            router = track(TestNetns.create("r"));
            a = track(TestNetns.create("a"));
            b = track(TestNetns.create("b"));
            k = track(TestNetns.create("k"));
            podA = track(TestNetns.create("pa"));
            podB = track(TestNetns.create("pb"));
            router.setSysctl("net.ipv4.ip_forward", "1");
            link(a, router, "192.168.10");
            link(b, router, "192.168.20");
            link(k, router, "192.168.30");
            pod(a, podA, "10.244.1");
            pod(b, podB, "10.244.2");
            ipipA = kindA == Kind.USERSPACE ? track(start(a, "192.168.10.2", "10.244.1.129")) : null;
            bpfA = kindA == Kind.BPF ? track(startBpf(a, "192.168.10.2", "10.244.1.129")) : null;
            ipipB = kindB == Kind.USERSPACE ? track(start(b, "192.168.20.2", "10.244.2.129")) : null;
            bpfB = kindB == Kind.BPF ? track(startBpf(b, "192.168.20.2", "10.244.2.129")) : null;
            a.ip("route", "add", "10.244.2.0/24", "via", "192.168.20.2", "dev", "tunl0", "onlink");
            b.ip("route", "add", "10.244.1.0/24", "via", "192.168.10.2", "dev", "tunl0", "onlink");
            setPeersA(Map.of(Cidr.parse("10.244.2.0/24"), IpAddress.parse("192.168.20.2")));
            setPeersB(Map.of(Cidr.parse("10.244.1.0/24"), IpAddress.parse("192.168.10.2")));
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    void setPeersA(Map<Cidr, IpAddress> peers) {
        if (ipipA != null) {
            ipipA.setPeers(peers);
        } else {
            bpfA.setPeers(peers);
        }
    }

    void setPeersB(Map<Cidr, IpAddress> peers) {
        if (ipipB != null) {
            ipipB.setPeers(peers);
        } else {
            bpfB.setPeers(peers);
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    /** node eth0 {@code net}.2/24 ↔ router {@code net}.1/24; the node's default route via the router. */
    private void link(TestNetns node, TestNetns r, String net) {
        track(VethPair.builder().a("eth0", node).b("r" + net.substring(net.lastIndexOf('.') + 1), r)
                .addressA(net + ".2/24").addressB(net + ".1/24").create());
        node.ip("route", "add", "default", "via", net + ".1");
    }

    /** pod eth0 {@code net}.2/24 ↔ node wt-pod {@code net}.1/24; the node forwards. */
    private void pod(TestNetns node, TestNetns pod, String net) {
        track(VethPair.builder().a("eth0", pod).b("wt-pod", node).addressA(net + ".2/24").addressB(net + ".1/24").create());
        pod.ip("route", "add", "default", "via", net + ".1");
        node.setSysctl("net.ipv4.ip_forward", "1");
    }

    private static UserspaceIpip start(TestNetns node, String underlay, String tunnel) {
        try (Namespace ns = Namespace.open(node.path().toString())) {
            return UserspaceIpip.open(ns, IpAddress.parse(underlay), "tunl0", 1480, IpAddress.parse(tunnel));
        }
    }

    static BpfIpip startBpf(TestNetns node, String underlay, String tunnel) {
        try (Namespace ns = Namespace.open(node.path().toString())) {
            return BpfIpip.open(ns, IpAddress.parse(underlay), "eth0", "tunl0", 1480, IpAddress.parse(tunnel));
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = new RuntimeException("closing " + open.get(i), e);
                }
            }
        }
        open.clear();
        if (first != null) {
            throw first;
        }
    }
}
