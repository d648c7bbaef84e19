package dev.weft.bpf;

/**
 * The kernel's helper function numbers ({@code enum bpf_func_id}, {@code __BPF_FUNC_MAPPER} in
 * include/uapi/linux/bpf.h; stable ABI), and the flags Weft passes them. What each does is the
 * bpf-helpers(7) man page.
 */
public final class Helper {
    public static final int MAP_LOOKUP_ELEM = 1;
    public static final int GET_PRANDOM_U32 = 7;
    public static final int SKB_STORE_BYTES = 9;
    public static final int L3_CSUM_REPLACE = 10;
    public static final int REDIRECT = 23;
    public static final int SKB_LOAD_BYTES = 26;
    public static final int CSUM_DIFF = 28;
    public static final int SKB_ADJUST_ROOM = 50;
    public static final int REDIRECT_NEIGH = 152;

    /** bpf_redirect: to the device's receive path instead of its transmit path. */
    public static final int F_INGRESS = 1;

    /** bpf_skb_adjust_room modes: room between L2 and L3 (MAC) or after the L3 header (NET). */
    public static final int ADJ_ROOM_NET = 0;
    public static final int ADJ_ROOM_MAC = 1;
    /** Keep gso_size: the inner MTU already leaves room for the tunnel header. */
    public static final int F_ADJ_ROOM_FIXED_GSO = 1;
    /** The new room holds an outer IPv4 header: the skb is marked encapsulated (SKB_GSO_IPXIP4). */
    public static final int F_ADJ_ROOM_ENCAP_L3_IPV4 = 1 << 1;
    /** The removed room was an outer IPv4 header (Linux 6.3+). */
    public static final int F_ADJ_ROOM_DECAP_L3_IPV4 = 1 << 7;

    /** tc actions a direct-action classifier returns; UNSPEC lets the hook's next filter classify the packet. */
    public static final int TC_ACT_UNSPEC = -1;
    public static final int TC_ACT_OK = 0;
    public static final int TC_ACT_SHOT = 2;
    public static final int TC_ACT_REDIRECT = 7;

    private Helper() {
    }
}
