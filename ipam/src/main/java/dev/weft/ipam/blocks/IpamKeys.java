package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;

/**
 * Calico's IPAM key layout under a caller's prefix (with {@code /calico/ipam/v2} it is Calico's
 * own): blocks {@code <p>/assignment/ipv4/block/10.0.0.0-26}, affinities
 * {@code <p>/host/<node>/ipv4/block/10.0.0.0-26}, handles {@code <p>/handle/<id>}, and
 * {@code <p>/config}.
 */
final class IpamKeys {
    static final int MAX_NAME_CHARS = 253;
    private final String prefix;

    IpamKeys(String prefix) {
        if (prefix == null || !prefix.startsWith("/")) {
            throw new IllegalArgumentException("the IPAM key prefix must start with '/', got " + prefix);
        }
        this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    String prefix() {
        return prefix;
    }

    String config() {
        return prefix + "/config";
    }

    String blocks() {
        return prefix + "/assignment/";
    }

    String blocks(Family f) {
        return prefix + "/assignment/" + f.keyName() + "/block/";
    }

    String block(Cidr c) {
        return blocks(Family.of(c)) + c.toKeyForm();
    }

    String hosts() {
        return prefix + "/host/";
    }

    String affinities(String node) {
        return prefix + "/host/" + node + "/";
    }

    String affinities(String node, Family f) {
        return affinities(node) + f.keyName() + "/block/";
    }

    String affinity(String node, Cidr c) {
        return affinities(node, Family.of(c)) + c.toKeyForm();
    }

    String handles() {
        return prefix + "/handle/";
    }

    String handle(String id) {
        return prefix + "/handle/" + id;
    }

    /** The block CIDR named by the last segment of a block or affinity key, or null. */
    static Cidr cidrOf(String key) {
        String last = key.substring(key.lastIndexOf('/') + 1);
        try {
            Cidr c = Cidr.parseKeyForm(last);
            return c.hasHostBits() ? null : c;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The node of an affinity key ({@code <p>/host/<node>/...}), or null. */
    String nodeOf(String affinityKey) {
        String rest = affinityKey.substring(hosts().length());
        int slash = rest.indexOf('/');
        return slash <= 0 ? null : rest.substring(0, slash);
    }

    /** Node names and handles are key segments: non-empty, no '/', bounded. */
    static String checkName(String what, String name, int max) {
        if (name == null || name.isEmpty() || name.length() > max || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException(what + " must be 1.." + max + " characters without '/', got "
                    + (name == null ? "null" : "\"" + name + "\""));
        }
        return name;
    }
}
