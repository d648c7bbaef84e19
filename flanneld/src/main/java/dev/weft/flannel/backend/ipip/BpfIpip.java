package dev.weft.flannel.backend.ipip;

import dev.weft.bpf.Bpf;
import dev.weft.bpf.BpfMap;
import dev.weft.bpf.BpfProgram;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ipip.BpfIpipPrograms.Counter;
import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.RtNetlink;
import dev.weft.netlink.TcHook;
import dev.weft.netns.Namespace;
import dev.weft.sysctl.Sysctl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPIP data path in the kernel, where the kernel has no ipip driver but runs eBPF: tunl0 is a
 * veth (its peer {@code tunl0-peer} only gives it a carrier), its egress program encapsulates,
 * the underlay's ingress program decapsulates ({@link BpfIpipPrograms}); weftd keeps the maps
 * (pod subnet → node, the nodes allowed to send) and reads the counters. Packets never leave the
 * kernel, and TCP super-segments leave tunl0 whole, cut into wire-sized packets only at the
 * underlay (SKB_GSO_IPXIP4), which the userspace path's raw socket cannot do. On the receiving
 * node a decapsulated super-segment still carries its tunnel GSO marks (no bpf helper of Linux
 * 6.18 clears them), so a bridge after tunl0 (cni0) cuts it in software: see
 * {@link BpfIpipPrograms}.
 *
 * <p>The filters sit at their own priority and handle on each hook, replaced in place when
 * weftd restarts (a killed weftd leaves them working; the new one swaps its own in once its maps
 * hold the first set of peers). Closing
 * removes Weft's filters, the clsact qdisc on the underlay if this run added it and it holds no
 * other filter, and tunl0 with its peer (and so its routes); closing for a restart leaves all of
 * them, as a kill -9 does, so traffic keeps flowing until the next run swaps its filters in.
 */
public final class BpfIpip implements IpipPath {
    private static final Logger LOG = LoggerFactory.getLogger(BpfIpip.class);
    /** The cls_bpf priority and handle of Weft's filters ("we"). */
    public static final int PRIORITY = 0x7765;
    public static final int HANDLE = 1;
    /** The decapsulation program's name, as tc shows it: how a leftover filter is told to be Weft's. */
    private static final String DECAP_NAME = "weft_ipip_decap";
    private static final int MAX_ROUTES = 65_536;
    private static final int MAX_NODES = 65_536;

    private final Namespace ns;
    private final String device;
    private final String underlay;
    private RtNetlink nl;
    private int underlayIndex;
    private boolean addedClsact;
    private boolean attachedIngress;
    private boolean createdDevice;
    private BpfMap routes;
    private BpfMap nodes;
    private BpfMap counters;
    private final Map<Cidr, IpAddress> peers = new HashMap<>();
    private final Set<IpAddress> peerNodes = new HashSet<>();
    private boolean closed;
    private int tunnelIndex;
    /** The loaded programs until {@link #attach} puts them on their hooks (then the filters hold them). */
    private BpfProgram encap;
    private BpfProgram decap;

    private BpfIpip(Namespace ns, String device, String underlay) {
        this.ns = ns;
        this.device = device;
        this.underlay = underlay;
    }

    /** The veth peer's name: the device's with "-peer", within IFNAMSIZ. */
    static String peerName(String device) {
        String n = device + "-peer";
        return n.length() > 15 ? n.substring(0, 15) : n;
    }

    /**
     * Sets up tunl0, the maps and both programs.
     *
     * @param underlayDevice the node's external interface (the programs' other side)
     * @throws BackendException when the kernel refuses (a BPF refusal carries the verifier's log),
     *                          with nothing of this run left behind
     */
    public static BpfIpip open(Namespace ns, IpAddress underlayAddr, String underlayDevice, String device, int mtu,
                               IpAddress tunnelAddress) {
        if (!underlayAddr.isV4() || !tunnelAddress.isV4()) {
            throw new BackendException("ipip: IPv4 addresses only: underlay " + underlayAddr + ", tunnel " + tunnelAddress);
        }
        if (mtu < 68 || mtu > 65_535 - IpipCodec.OUTER) {
            throw new BackendException("ipip: MTU " + mtu + " is outside 68.." + (65_535 - IpipCodec.OUTER));
        }
        String release = osRelease();
        if (!decapsulates(release)) {
            throw new BackendException("ipip: the bpf data path needs Linux 6.3 or newer (bpf_skb_adjust_room's "
                    + "DECAP_L3_IPV4; an older kernel loads the program and then refuses every decapsulation); this kernel is "
                    + release);
        }
        BpfIpip b = new BpfIpip(ns, device, underlayDevice);
        try {
            b.start(underlayAddr, mtu, tunnelAddress);
            return b;
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: the bpf(2) binding has no syscall number for this architecture
            b.close();
            throw e instanceof BackendException be ? be : new BackendException("ipip: cannot start the bpf data path on " + device
                    + " and " + underlayDevice + ": " + e, e);
        }
    }

    private static String osRelease() {
        try {
            return Sysctl.read("kernel/osrelease");
        } catch (java.io.UncheckedIOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** Whether a kernel of this release (uname -r) strips an outer IPv4 header in bpf_skb_adjust_room: 6.3 on. */
    static boolean decapsulates(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d{1,4})\\.(\\d{1,4})").matcher(release);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 6 || major == 6 && minor >= 3;
    }

    private void start(IpAddress underlayAddr, int mtu, IpAddress tunnelAddress) {
        nl = ns.openNetlink();
        Link under = nl.requireLink(underlay);
        underlayIndex = under.index();
        Link tun = ensureDevice(mtu, tunnelAddress);
        routes = BpfMap.create(Bpf.MAP_TYPE_LPM_TRIE, 8, 4, MAX_ROUTES, Bpf.F_NO_PREALLOC, "weft_ipip_routes");
        nodes = BpfMap.create(Bpf.MAP_TYPE_HASH, 4, 4, MAX_NODES, Bpf.F_NO_PREALLOC, "weft_ipip_nodes");
        counters = BpfMap.create(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, Counter.values().length, 0, "weft_ipip_count");
        int local = BpfIpipPrograms.raw(underlayAddr.toV4Int());
        tunnelIndex = tun.index();
        // loaded (and so verified) now; attached by the first setPeers, once the maps hold the peers:
        // after a kill -9 the old programs still run on the old maps, and swapping in new ones on
        // empty maps would drop every packet until the first lease snapshot
        encap = BpfProgram.loadClassifier("weft_ipip_encap",
                BpfIpipPrograms.encapsulation(routes.fd(), counters.fd(), local, underlayIndex));
        decap = BpfProgram.loadClassifier(DECAP_NAME,
                BpfIpipPrograms.decapsulation(nodes.fd(), counters.fd(), local, tun.index(), tun.mac().toBytes()));
        nl.setUp(nl.requireLink(peerName(device)).index());
        nl.setUp(tun.index());
        LOG.info("ipip: bpf data path on {} (veth, MTU {}, {}) and {} ingress; tc filters at priority {} handle {} "
                + "once the peers are known", device, mtu, tunnelAddress, underlay, PRIORITY, HANDLE);
    }

    /** Puts the programs on their hooks (replacing a previous run's in place); the maps are filled. */
    private void attach() {
        nl.addClsact(tunnelIndex);
        nl.attachBpf(tunnelIndex, TcHook.EGRESS, PRIORITY, HANDLE, encap.fd(), encap.name());
        addedClsact = nl.addClsact(underlayIndex);
        attachedIngress = true; // before the call: a half-done attach is still removed by close
        nl.attachBpf(underlayIndex, TcHook.INGRESS, PRIORITY, HANDLE, decap.fd(), decap.name());
        encap.close();
        decap.close();
        encap = null;
        decap = null;
    }

    /** tunl0 as a NOARP veth with its peer, reused as it is after a restart (its routes stay). */
    private Link ensureDevice(int mtu, IpAddress tunnelAddress) {
        Link l = nl.link(device).orElse(null);
        if (l != null && !"veth".equals(l.kind())) {
            throw new BackendException("ipip: " + device + " exists and is a " + l.kind() + " device, not the bpf path's veth");
        }
        if (l == null) {
            nl.create(new LinkSpec.Veth(device, peerName(device)).withMtu(mtu));
            createdDevice = true;
            l = nl.requireLink(device);
        }
        if (l.mtu() != mtu) {
            nl.setMtu(l.index(), mtu);
        }
        int peer = nl.requireLink(peerName(device)).index();
        nl.setNoArp(l.index(), true);
        nl.setNoArp(peer, true);
        for (String n : new String[] {device, peerName(device)}) {
            try {
                ns.exec(() -> Sysctl.write("net/ipv6/conf/" + n + "/disable_ipv6", "1"));
            } catch (RuntimeException e) {
                LOG.debug("ipip: IPv6 stays on {}: {}", n, e.toString());
            }
        }
        Cidr mine = Cidr.ofHost(tunnelAddress);
        List<Address> before = nl.addresses(Linux.AF_INET, l.index());
        if (before.stream().noneMatch(a -> a.cidr().equals(mine))) {
            nl.addAddress(Address.of(l.index(), mine));
        }
        for (Address a : before) {
            if (!a.cidr().equals(mine)) {
                // a reused tunl0 with an earlier run's tunnel address (on block IPAM it can change across a
                // restart): left there, that address would stay local here after a pod elsewhere got it.
                // Removed only after the new one is on: a device left with no IPv4 address loses its routes
                nl.deleteAddress(a);
                LOG.info("ipip: removed {} from {}, an earlier run's tunnel address", a.cidr(), device);
            }
        }
        return nl.requireLink(device);
    }

    /** Every other node's subnet and underlay address; replaces the last set (only the differences reach the maps). */
    public synchronized void setPeers(Map<Cidr, IpAddress> subnetToNode) {
        if (closed) {
            return;
        }
        Set<IpAddress> wantNodes = new HashSet<>();
        for (IpAddress n : subnetToNode.values()) {
            if (n.isV4()) {
                wantNodes.add(n);
            }
        }
        for (IpAddress n : wantNodes) {
            if (!peerNodes.contains(n)) {
                nodes.put(n.toBytes(), new byte[4]); // first: a failed write is tried again with the next set
                peerNodes.add(n);
            }
        }
        for (var e : subnetToNode.entrySet()) {
            if (!e.getKey().address().isV4() || !e.getValue().isV4()) {
                continue;
            }
            if (!e.getValue().equals(peers.get(e.getKey()))) {
                routes.put(lpmKey(e.getKey()), e.getValue().toBytes());
                peers.put(e.getKey(), e.getValue());
            }
        }
        for (var it = peers.keySet().iterator(); it.hasNext(); ) {
            Cidr c = it.next();
            if (!subnetToNode.containsKey(c)) {
                routes.remove(lpmKey(c));
                it.remove();
            }
        }
        for (var it = peerNodes.iterator(); it.hasNext(); ) {
            IpAddress n = it.next();
            if (!wantNodes.contains(n)) {
                nodes.remove(n.toBytes());
                it.remove();
            }
        }
        if (encap != null) {
            attach();
        }
    }

    private static byte[] lpmKey(Cidr c) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        b.putInt(c.prefixLength()).put(c.address().toBytes());
        return b.array();
    }

    /** A counter summed over the CPUs. */
    synchronized long count(Counter c) {
        if (closed) {
            return 0;
        }
        int cpus = Bpf.possibleCpus();
        byte[] v = new byte[8 * cpus];
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(c.ordinal()).array();
        if (!counters.get(key, v)) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
        long s = 0;
        for (int i = 0; i < cpus; i++) {
            s += b.getLong(i * 8);
        }
        return s;
    }

    /** The weft_ipip_* families as the userspace path has them, from the kernel's counters. */
    public synchronized String metricsText() {
        StringBuilder b = new StringBuilder(2048);
        b.append("# HELP weft_ipip_packets_total IPv4 packets (as on the wire) per leg of the ipip data path.\n"
                + "# TYPE weft_ipip_packets_total counter\n");
        b.append("weft_ipip_packets_total{path=\"ipip_tx\"} ").append(count(Counter.TX_PACKETS)).append('\n');
        b.append("weft_ipip_packets_total{path=\"ipip_rx\"} ").append(count(Counter.RX_PACKETS)).append('\n');
        b.append("# HELP weft_ipip_bytes_total Bytes of those packets (a super-segment counts whole).\n"
                + "# TYPE weft_ipip_bytes_total counter\n");
        b.append("weft_ipip_bytes_total{path=\"ipip_tx\"} ").append(count(Counter.TX_BYTES)).append('\n');
        b.append("weft_ipip_bytes_total{path=\"ipip_rx\"} ").append(count(Counter.RX_BYTES)).append('\n');
        b.append("# HELP weft_ipip_drops_total Packets dropped, by reason.\n# TYPE weft_ipip_drops_total counter\n");
        for (Counter c : Counter.values()) {
            if (c.isDrop()) {
                b.append("weft_ipip_drops_total{reason=\"").append(c.label).append("\"} ").append(count(c)).append('\n');
            }
        }
        return b + UserspaceIpip.modeMetricText("bpf")
                + "# HELP weft_ipip_peers Pod subnets in the IPIP peer table.\n"
                + "# TYPE weft_ipip_peers gauge\nweft_ipip_peers " + peers.size() + "\n";
    }

    /**
     * Lets go of the maps, programs and netlink socket only: the filters on their hooks hold the
     * programs, the programs the maps, so tunl0 and its routes go on forwarding, exactly as after
     * a kill -9, until the next run reuses tunl0 and replaces the filters in place.
     */
    @Override
    public synchronized void closeForRestart() {
        if (closed) {
            return;
        }
        closed = true;
        if (nl != null) {
            nl.close();
        }
        releaseDescriptors();
        LOG.info("ipip: {} and the filters stay for the next run (restart)", device);
    }

    /**
     * Removes what a bpf run left behind when this run does not use it (another Encap, or the
     * bpf path refused now): Weft's filter on the underlay's ingress and the veth tunl0 with its
     * peer, its filter and its routes. Anything else on those hooks stays.
     */
    public static void removeLeftovers(RtNetlink nl, String device, int underlayIndex) {
        // the filter first and on its own: a run whose takeover failed may have left it without tunl0,
        // and it would then pull every IPIP packet from a known node into a device that is gone
        detachOurDecap(nl, underlayIndex);
        var veth = nl.link(device).filter(l -> "veth".equals(l.kind()));
        if (veth.isPresent() && nl.link(peerName(device)).filter(l -> "veth".equals(l.kind())).isPresent()) {
            nl.delete(veth.get().index());
            LOG.info("ipip: removed the veth {} a bpf data path left", device);
        }
    }

    /** Detaches the filter at Weft's priority and handle from the underlay's ingress if it is Weft's decapsulation. */
    private static void detachOurDecap(RtNetlink nl, int underlayIndex) {
        boolean ours = nl.filters(underlayIndex, TcHook.INGRESS).stream().anyMatch(f -> f.priority() == PRIORITY
                && f.handle() == HANDLE && f.bpfName() != null && f.bpfName().startsWith(DECAP_NAME));
        if (ours && nl.detachBpf(underlayIndex, TcHook.INGRESS, PRIORITY, HANDLE)) {
            LOG.info("ipip: removed the decapsulation filter a bpf data path left on link #{}", underlayIndex);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        if (nl != null) {
            try {
                if (attachedIngress) {
                    nl.detachBpf(underlayIndex, TcHook.INGRESS, PRIORITY, HANDLE);
                    if (addedClsact && nl.filters(underlayIndex, TcHook.INGRESS).isEmpty()
                            && nl.filters(underlayIndex, TcHook.EGRESS).isEmpty()) {
                        nl.deleteClsact(underlayIndex);
                    }
                } else if (underlayIndex > 0) {
                    // a previous run's filter, still attached (this run took tunl0 over and failed or
                    // closed before its first peers): it must not outlive the tunl0 deleted below
                    detachOurDecap(nl, underlayIndex);
                }
            } catch (RuntimeException e) {
                first = e;
            }
            try {
                // the veth goes with its peer, its clsact, its filter and the routes through it
                nl.link(device).filter(l -> "veth".equals(l.kind())).ifPresent(l -> nl.delete(l.index()));
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENODEV && first == null) {
                    first = e;
                }
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
            nl.close();
        }
        releaseDescriptors();
        if (first != null) {
            LOG.warn("ipip: closing the bpf data path: {}", first.getMessage());
        }
    }

    private void releaseDescriptors() {
        for (BpfProgram p : new BpfProgram[] {encap, decap}) {
            if (p != null) {
                p.close();
            }
        }
        for (BpfMap m : new BpfMap[] {routes, nodes, counters}) {
            if (m != null) {
                m.close();
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "bpf ipip on %s/%s", device, underlay);
    }
}
