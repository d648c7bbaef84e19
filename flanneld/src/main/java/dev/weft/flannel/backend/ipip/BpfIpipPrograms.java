package dev.weft.flannel.backend.ipip;

import static dev.weft.bpf.BpfAssembler.FP;
import static dev.weft.bpf.BpfAssembler.R0;
import static dev.weft.bpf.BpfAssembler.R1;
import static dev.weft.bpf.BpfAssembler.R2;
import static dev.weft.bpf.BpfAssembler.R3;
import static dev.weft.bpf.BpfAssembler.R4;
import static dev.weft.bpf.BpfAssembler.R5;
import static dev.weft.bpf.BpfAssembler.R6;
import static dev.weft.bpf.BpfAssembler.R7;
import static dev.weft.bpf.BpfAssembler.R8;
import static dev.weft.bpf.BpfAssembler.R9;

import dev.weft.bpf.BpfAssembler;
import dev.weft.bpf.BpfAssembler.Alu;
import dev.weft.bpf.BpfAssembler.Jmp;
import dev.weft.bpf.BpfAssembler.Size;
import dev.weft.bpf.Helper;
import dev.weft.bpf.Insn;
import java.util.List;

/**
 * The two tc programs of the bpf IPIP data path, written with {@link BpfAssembler}: what the
 * kernel's ipip device does, in the kernel, driven by weftd's maps.
 *
 * <p><b>Encapsulation</b> (egress of tunl0, a veth): the route {@code <subnet> via <node> dev
 * tunl0 onlink} brought the packet here with an Ethernet header (tunl0 is NOARP, so no
 * neighbour is resolved). The program finds the inner destination's node in the LPM map,
 * grows the packet by 20 bytes between L2 and L3 with {@code BPF_F_ADJ_ROOM_ENCAP_L3_IPV4}
 * (the kernel marks a GSO packet SKB_GSO_IPXIP4 and keeps it whole until the underlay, which
 * cuts it as it would the ipip device's), writes the outer header with {@link IpipCodec}'s
 * fields (IHL 5, protocol 4, TTL inherited, DF copied, ECN encapsulated, ID random), and hands it
 * to the underlay with {@code bpf_redirect_neigh}: the kernel routes the outer destination and
 * fills in the next hop's MAC, so a node behind a router is reached as by the ipip device.
 * {@code BPF_F_ADJ_ROOM_FIXED_GSO} keeps the segment size: tunl0's MTU already leaves the 20 bytes.
 *
 * <p><b>Decapsulation</b> (ingress of the underlay): IPv4 protocol 4 addressed to this node from
 * a source in the peer map (a node holding a lease), with a valid unfragmented outer header, loses
 * its outer header ({@code BPF_F_ADJ_ROOM_DECAP_L3_IPV4}, Linux 6.3+), gets RFC 6040's ECN (an
 * outer CE marks an ECN-capable inner packet CE, a not-ECN-capable one is dropped, as
 * {@code ip_tunnel_rcv} does) and is redirected into tunl0's receive path with tunl0's MAC as
 * destination, so it arrives on tunl0 as the ipip device's packets do (rp_filter, the firewall).
 * Everything else, IPIP from a sender that holds no lease included (counted), passes untouched to
 * the hook's next filter and the stack (TC_ACT_UNSPEC). A peer's IPIP that cannot be delivered is
 * dropped and counted by reason.
 *
 * <p><b>What decapsulation cannot undo</b> (measured, Linux 6.18): a super-segment that arrives
 * whole (veths carry them whole; the kernel's IPIP GRO builds them from a NIC's packets, marked
 * the same way) keeps {@code skb->encapsulation} and SKB_GSO_IPXIP4 after
 * {@code bpf_skb_adjust_room} has taken its outer header off. The kernel's own tunnels clear both
 * on receive ({@code iptunnel_pull_offloads}); no helper or flag of 6.18 does (a decap flag that
 * does is newer than this kernel: tried, with it set no packet got through). So the first device
 * after tunl0 whose tunnel offload features ({@code hw_enc_features}) lack TSO and checksumming
 * cuts the decapsulated packet into MTU-sized ones in software, checksums included, and everything
 * after it works packet by packet. A bridge has only SG (and GSO_PARTIAL) there: behind the bridge
 * CNI that is the receiving node's cni0, where VXLAN's packets pass whole; behind a routed veth
 * per pod (a veth keeps all its offloads for tunnels) nothing is cut. Leaving the mark off when
 * encapsulating is no way out: tried, the sending node's underlay veth dropped every such
 * super-segment. Nothing in these programs can change that; see the README's bgp-vs-hostgw figures.
 *
 * <p>Stack layout (accesses must be aligned): the Ethernet + outer IPv4 header at
 * {@link #ETH}..−16 (the IP header 4-aligned at {@link #IP}), the LPM or hash key at −8, the
 * header written (or the inner header read) at {@link #SCRATCH}, a counter key at −76, a MAC at −84.
 */
final class BpfIpipPrograms {
    /** Per-CPU counters, one u64 slot each. */
    enum Counter {
        TX_PACKETS("ipip_tx"), TX_BYTES("ipip_tx"), RX_PACKETS("ipip_rx"), RX_BYTES("ipip_rx"),
        NO_ROUTE("no_route"), NOT_IPV4("not_ipv4"), TOO_SHORT("too_short"), BAD_HEADER("bad_header"),
        FRAGMENT("fragment"), UNKNOWN_SENDER("unknown_sender"), CE_NOT_ECT("ce_not_ect"),
        ENCAP_FAILED("encap_failed"), DECAP_FAILED("decap_failed");

        /** The path (packets/bytes) or drop reason label. */
        final String label;

        Counter(String label) {
            this.label = label;
        }

        boolean isDrop() {
            return ordinal() >= NO_ROUTE.ordinal();
        }
    }

    static final int ETH_HLEN = 14;
    private static final int ETH = -50;
    private static final int IP = ETH + ETH_HLEN; // −36
    private static final int KEY = -8;
    private static final int SCRATCH = -72;
    private static final int COUNTER_KEY = -76;
    private static final int MAC = -84;
    /** __sk_buff fields (include/uapi/linux/bpf.h). */
    private static final int SKB_LEN = 0;
    private static final int SKB_PROTOCOL = 16;
    /** ETH_P_IP as __sk_buff.protocol holds it (network order, read as a little-endian u32). */
    private static final int ETH_P_IP_RAW = 0x0008;
    private static final int DF_RAW = 0x0040;
    private static final int FRAG_MASK_RAW = 0xff3f;

    private BpfIpipPrograms() {
    }

    /** An IPv4 address as the program reads it from a packet: network-order bytes in a little-endian u32. */
    static int raw(int v4BigEndian) {
        return Integer.reverseBytes(v4BigEndian);
    }

    /** The egress program of tunl0. */
    static List<Insn> encapsulation(int routesFd, int countersFd, int localRaw, int underlayIndex) {
        BpfAssembler a = new BpfAssembler();
        Counting c = new Counting(a, countersFd);
        a.mov(R6, R1);
        a.load(Size.W, R2, R6, SKB_PROTOCOL).jumpImm(Jmp.JNE, R2, ETH_P_IP_RAW, "not_ipv4");
        loadBytes(a, 0, ETH, ETH_HLEN + 20).jumpImm(Jmp.JNE, R0, 0, "too_short");
        // the node of the inner destination: LPM key {32, daddr}
        a.storeImm(Size.W, FP, KEY, 32).load(Size.W, R2, FP, IP + 16).store(Size.W, FP, KEY + 4, R2);
        a.loadMap(R1, routesFd).mov(R2, FP).aluImm(Alu.ADD, R2, KEY).call(Helper.MAP_LOOKUP_ELEM);
        a.jumpImm(Jmp.JEQ, R0, 0, "no_route");
        a.load(Size.W, R7, R0, 0);
        a.mov(R1, R6).movImm(R2, IpipCodec.OUTER).movImm(R3, Helper.ADJ_ROOM_MAC)
                .movImm(R4, Helper.F_ADJ_ROOM_FIXED_GSO | Helper.F_ADJ_ROOM_ENCAP_L3_IPV4).call(Helper.SKB_ADJUST_ROOM);
        a.jumpImm(Jmp.JNE, R0, 0, "encap_failed");
        // the outer header, field by field as IpipCodec.writeOuter writes it
        a.storeImm(Size.B, FP, SCRATCH, 0x45);
        a.load(Size.B, R2, FP, IP + 1).aluImm(Alu.AND, R2, 3).jumpImm(Jmp.JNE, R2, 3, "ecn").movImm(R2, 2).label("ecn")
                .store(Size.B, FP, SCRATCH + 1, R2);
        a.load(Size.W, R2, R6, SKB_LEN).aluImm(Alu.SUB, R2, ETH_HLEN).aluImm(Alu.AND, R2, 0xffff).toBigEndian(R2, 16)
                .store(Size.H, FP, SCRATCH + 2, R2);
        a.call(Helper.GET_PRANDOM_U32).store(Size.H, FP, SCRATCH + 4, R0);
        a.load(Size.H, R2, FP, IP + 6).aluImm(Alu.AND, R2, DF_RAW).store(Size.H, FP, SCRATCH + 6, R2);
        a.load(Size.B, R2, FP, IP + 8).store(Size.B, FP, SCRATCH + 8, R2);
        a.storeImm(Size.B, FP, SCRATCH + 9, IpipCodec.PROTOCOL).storeImm(Size.H, FP, SCRATCH + 10, 0);
        a.storeImm(Size.W, FP, SCRATCH + 12, localRaw).store(Size.W, FP, SCRATCH + 16, R7);
        checksum(a, SCRATCH);
        a.aluImm(Alu.XOR, R0, 0xffff).store(Size.H, FP, SCRATCH + 10, R0);
        a.mov(R1, R6).movImm(R2, ETH_HLEN).mov(R3, FP).aluImm(Alu.ADD, R3, SCRATCH).movImm(R4, IpipCodec.OUTER).movImm(R5, 0)
                .call(Helper.SKB_STORE_BYTES).jumpImm(Jmp.JNE, R0, 0, "encap_failed");
        a.load(Size.W, R8, R6, SKB_LEN).aluImm(Alu.SUB, R8, ETH_HLEN);
        c.add(Counter.TX_PACKETS, -1);
        c.add(Counter.TX_BYTES, R8);
        a.movImm(R1, underlayIndex).movImm(R2, 0).movImm(R3, 0).movImm(R4, 0).call(Helper.REDIRECT_NEIGH).exit();
        for (Counter d : List.of(Counter.NOT_IPV4, Counter.TOO_SHORT, Counter.NO_ROUTE, Counter.ENCAP_FAILED)) {
            drop(a, c, d);
        }
        return a.assemble();
    }

    /** The ingress program of the underlay device. */
    static List<Insn> decapsulation(int peersFd, int countersFd, int localRaw, int tunnelIndex, byte[] tunnelMac) {
        BpfAssembler a = new BpfAssembler();
        Counting c = new Counting(a, countersFd);
        a.mov(R6, R1);
        a.load(Size.W, R2, R6, SKB_PROTOCOL).jumpImm(Jmp.JNE, R2, ETH_P_IP_RAW, "pass");
        loadBytes(a, 0, ETH, ETH_HLEN + 20).jumpImm(Jmp.JNE, R0, 0, "pass");
        a.load(Size.B, R2, FP, IP + 9).jumpImm(Jmp.JNE, R2, IpipCodec.PROTOCOL, "pass");
        a.load(Size.W, R2, FP, IP + 16).loadImm64(R3, localRaw & 0xffffffffL).jump(Jmp.JNE, R2, R3, "pass");
        // only a node holding a lease may send into tunl0; IPIP from anyone else is not ours (an admin's
        // own tunnel, IPVS-TUN): counted and left to the rest of the stack, which the kernel without an
        // ipip driver answers as it would without Weft
        a.load(Size.W, R2, FP, IP + 12).store(Size.W, FP, KEY, R2);
        a.loadMap(R1, peersFd).mov(R2, FP).aluImm(Alu.ADD, R2, KEY).call(Helper.MAP_LOOKUP_ELEM);
        a.jumpImm(Jmp.JEQ, R0, 0, "unknown_sender");
        // a peer's IPIP from here on: it goes to tunl0 or is dropped and counted
        a.load(Size.B, R2, FP, IP).jumpImm(Jmp.JNE, R2, 0x45, "bad_header");
        checksum(a, IP);
        a.jumpImm(Jmp.JNE, R0, 0xffff, "bad_header");
        a.load(Size.H, R2, FP, IP + 2).toBigEndian(R2, 16).jumpImm(Jmp.JLT, R2, 2 * IpipCodec.OUTER, "bad_header");
        a.load(Size.W, R3, R6, SKB_LEN).aluImm(Alu.SUB, R3, ETH_HLEN).jump(Jmp.JGT, R2, R3, "bad_header");
        a.load(Size.H, R2, FP, IP + 6).aluImm(Alu.AND, R2, FRAG_MASK_RAW).jumpImm(Jmp.JNE, R2, 0, "fragment");
        loadBytes(a, ETH_HLEN + IpipCodec.OUTER, SCRATCH, 20).jumpImm(Jmp.JNE, R0, 0, "too_short");
        a.load(Size.B, R2, FP, SCRATCH).aluImm(Alu.AND, R2, 0xf0).jumpImm(Jmp.JNE, R2, 0x40, "bad_header");
        // RFC 6040 with an outer CE
        a.load(Size.B, R2, FP, IP + 1).aluImm(Alu.AND, R2, 3).jumpImm(Jmp.JNE, R2, 3, "decap");
        a.load(Size.B, R2, FP, SCRATCH + 1).aluImm(Alu.AND, R2, 3).jumpImm(Jmp.JEQ, R2, 0, "ce_not_ect")
                .jumpImm(Jmp.JEQ, R2, 3, "decap");
        a.load(Size.H, R8, FP, SCRATCH).mov(R9, R8).aluImm(Alu.OR, R9, 0x0300);
        a.mov(R1, R6).movImm(R2, ETH_HLEN + IpipCodec.OUTER + 10).mov(R3, R8).mov(R4, R9).movImm(R5, 2)
                .call(Helper.L3_CSUM_REPLACE).jumpImm(Jmp.JNE, R0, 0, "decap_failed");
        a.store(Size.H, FP, SCRATCH, R9);
        a.mov(R1, R6).movImm(R2, ETH_HLEN + IpipCodec.OUTER).mov(R3, FP).aluImm(Alu.ADD, R3, SCRATCH).movImm(R4, 2).movImm(R5, 0)
                .call(Helper.SKB_STORE_BYTES).jumpImm(Jmp.JNE, R0, 0, "decap_failed");
        a.label("decap");
        a.load(Size.W, R8, R6, SKB_LEN).aluImm(Alu.SUB, R8, ETH_HLEN);
        a.mov(R1, R6).movImm(R2, -IpipCodec.OUTER).movImm(R3, Helper.ADJ_ROOM_MAC)
                .movImm(R4, Helper.F_ADJ_ROOM_FIXED_GSO | Helper.F_ADJ_ROOM_DECAP_L3_IPV4).call(Helper.SKB_ADJUST_ROOM);
        a.jumpImm(Jmp.JNE, R0, 0, "decap_failed");
        // tunl0's MAC as destination, or its receive path would take the packet for another host's
        a.storeImm(Size.W, FP, MAC, leInt(tunnelMac, 0)).storeImm(Size.H, FP, MAC + 4, (tunnelMac[4] & 0xff) | (tunnelMac[5] & 0xff) << 8);
        a.mov(R1, R6).movImm(R2, 0).mov(R3, FP).aluImm(Alu.ADD, R3, MAC).movImm(R4, 6).movImm(R5, 0)
                .call(Helper.SKB_STORE_BYTES).jumpImm(Jmp.JNE, R0, 0, "decap_failed");
        c.add(Counter.RX_PACKETS, -1);
        c.add(Counter.RX_BYTES, R8);
        a.movImm(R1, tunnelIndex).movImm(R2, Helper.F_INGRESS).call(Helper.REDIRECT).exit();
        a.label("unknown_sender");
        c.add(Counter.UNKNOWN_SENDER, -1);
        // UNSPEC, not OK: OK would end classification on the node's main interface, so another
        // owner's filter behind ours would never see a packet again
        a.label("pass").movImm(R0, Helper.TC_ACT_UNSPEC).exit();
        for (Counter d : List.of(Counter.BAD_HEADER, Counter.FRAGMENT, Counter.TOO_SHORT,
                Counter.CE_NOT_ECT, Counter.DECAP_FAILED)) {
            drop(a, c, d);
        }
        return a.assemble();
    }

    private static int leInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** bpf_skb_load_bytes(skb, offset, fp + to, len); R0 is 0 when the packet had them. */
    private static BpfAssembler loadBytes(BpfAssembler a, int offset, int to, int len) {
        return a.mov(R1, R6).movImm(R2, offset).mov(R3, FP).aluImm(Alu.ADD, R3, to).movImm(R4, len).call(Helper.SKB_LOAD_BYTES);
    }

    /** R0 = the folded one's-complement sum of the 20 bytes at fp + at (0xffff over a valid header). */
    private static void checksum(BpfAssembler a, int at) {
        a.movImm(R1, 0).movImm(R2, 0).mov(R3, FP).aluImm(Alu.ADD, R3, at).movImm(R4, 20).movImm(R5, 0).call(Helper.CSUM_DIFF);
        for (int i = 0; i < 2; i++) {
            a.mov(R2, R0).aluImm(Alu.RSH, R2, 16).aluImm(Alu.AND, R0, 0xffff).alu(Alu.ADD, R0, R2);
        }
    }

    private static void drop(BpfAssembler a, Counting c, Counter d) {
        a.label(d.label);
        c.add(d, -1);
        a.movImm(R0, Helper.TC_ACT_SHOT).exit();
    }

    /** counters[i] += 1 (register −1) or += a callee-saved register; clobbers R0–R5. */
    private static final class Counting {
        private final BpfAssembler a;
        private final int fd;
        private int sites;

        Counting(BpfAssembler a, int fd) {
            this.a = a;
            this.fd = fd;
        }

        void add(Counter counter, int register) {
            String skip = "count_" + sites++;
            a.storeImm(Size.W, FP, COUNTER_KEY, counter.ordinal());
            a.loadMap(R1, fd).mov(R2, FP).aluImm(Alu.ADD, R2, COUNTER_KEY).call(Helper.MAP_LOOKUP_ELEM);
            a.jumpImm(Jmp.JEQ, R0, 0, skip);
            a.load(Size.DW, R1, R0, 0);
            if (register < 0) {
                a.aluImm(Alu.ADD, R1, 1);
            } else {
                a.alu(Alu.ADD, R1, register);
            }
            a.store(Size.DW, R0, 0, R1).label(skip);
        }
    }
}
