package dev.weft.cni.masq;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How the reference names and labels the masquerade state of one attachment, so that Weft and
 * the reference plugins find each other's rules ({@code pkg/utils/utils.go},
 * {@code pkg/ip/ipmasq_nftables_linux.go}).
 */
final class AttachmentTags {
    private AttachmentTags() {
    }

    /** iptables caps chain names at 28 characters; the reference fills them exactly. */
    static final int CHAIN_LENGTH = 28;
    static final String CHAIN_PREFIX = "CNI-";
    /** knftables.CommentLengthMax: nft keeps at most 128 bytes of a rule comment. */
    static final int NFT_COMMENT_MAX = 128;

    /** {@code CNI-} + hex(sha512(network + containerID)), cut to 28 characters. */
    static String iptablesChain(String network, String containerId) {
        return (CHAIN_PREFIX + sha512Hex(network + containerId)).substring(0, CHAIN_LENGTH);
    }

    /** {@code name: "<network>" id: "<containerID>"} with Go quoting (FormatComment). */
    static String iptablesComment(String network, String containerId) {
        return "name: " + GoQuote.quote(network) + " id: " + GoQuote.quote(containerId);
    }

    /** The network and container an iptables comment names. */
    record Owner(String network, String containerId) {
    }

    /**
     * Reads back {@link #iptablesComment}; null for any other comment (portmap's {@code dnat name:
     * ...}, a hand-written rule), so GC never takes a rule it cannot attribute exactly.
     */
    static Owner parseIptablesComment(String comment) {
        if (comment == null || !comment.startsWith("name: ")) {
            return null;
        }
        GoQuote.Unquoted name = GoQuote.unquoteAt(comment, 6);
        if (name == null || !comment.startsWith(" id: ", name.end())) {
            return null;
        }
        GoQuote.Unquoted id = GoQuote.unquoteAt(comment, name.end() + 5);
        if (id == null || id.end() != comment.length()) {
            return null;
        }
        return new Owner(name.value(), id.value());
    }

    /** First 16 hex digits of sha512(network): the prefix GC uses to find one network's rules. */
    static String nftNetworkHash(String network) {
        return sha512Hex(network).substring(0, 16);
    }

    /**
     * {@code <network hash>-<first 16 hex of sha512(ifname:containerID)>}. Unlike the iptables
     * chain it includes the ifname: two interfaces of one pod on one network get separate rules.
     */
    static String nftInstanceHash(String network, String ifname, String containerId) {
        return nftNetworkHash(network) + "-" + sha512Hex(ifname + ":" + containerId).substring(0, 16);
    }

    /**
     * {@code <instance hash>, net: <network>, if: <ifname>, id: <containerID>} with double quotes
     * dropped, cut to 128 bytes. The hash comes first so that truncation never hides it.
     */
    static String nftComment(String network, String ifname, String containerId) {
        String c = nftInstanceHash(network, ifname, containerId)
                + ", net: " + network.replace("\"", "")
                + ", if: " + ifname.replace("\"", "")
                + ", id: " + containerId.replace("\"", "");
        return truncateUtf8(c, NFT_COMMENT_MAX);
    }

    /**
     * The reference cuts the byte string; we cut at the last whole character that fits, which is
     * the same for the ASCII names CNI allows and never hands nft a broken UTF-8 sequence.
     */
    static String truncateUtf8(String s, int maxBytes) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= maxBytes) {
            return s;
        }
        int end = maxBytes;
        while (end > 0 && (b[end] & 0xc0) == 0x80) {
            end--;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    static String sha512Hex(String s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-512");
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is a required JDK algorithm", e);
        }
    }
}
