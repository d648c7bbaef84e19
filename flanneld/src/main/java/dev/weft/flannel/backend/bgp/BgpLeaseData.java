package dev.weft.flannel.backend.bgp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.flannel.lease.Lease;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

/**
 * What a bgp lease's BackendData says about its node, Calico's {@code Node.spec.bgp} in flannel's
 * lease:
 *
 * <pre>{@code {"IPv4Address":"192.168.213.2/24","ASNumber":64512,"NodeName":"node-a"}}</pre>
 *
 * A dual-stack node (EnableIPv6) adds {@code "IPv6Address":"fd00:213::2/64"}, Calico's
 * {@code ipv6Address}: the address its IPv6 sessions run between, and so the next hop of its IPv6
 * routes. It is optional both ways: an IPv4-only lease reads as before, and a node without it
 * gets no IPv6 session.
 *
 * {@code IPv4Address} is the node's BGP address with the prefix length of its underlay subnet
 * (never a /32: calico#3003), so a peer can tell whether it shares the node's L2 (CrossSubnet).
 * With Encap VXLAN the vxlan backend's {@code VNI} and {@code VtepMAC} are added, so the vxlan
 * machinery reads a bgp lease as it reads a vxlan one. {@code NodeName} tells the other nodes
 * whether this one is a route reflector ({@code RouteReflector.Nodes}); it is optional, so a lease
 * written before it existed still reads (as a node that is no reflector).
 *
 * @param address  the node's BGP address and underlay prefix
 * @param as       the node's AS
 * @param nodeName the node's name, or null when the lease does not say
 * @param address6 the node's IPv6 BGP address and its underlay prefix, or null (IPv4 only)
 */
public record BgpLeaseData(Cidr address, long as, String nodeName, Cidr address6) {
    static final String ADDRESS = "IPv4Address";
    static final String ADDRESS6 = "IPv6Address";
    static final String AS = "ASNumber";
    static final String NODE_NAME = "NodeName";
    /** A DNS subdomain name, what Kubernetes allows for a node. */
    static final int MAX_NODE_NAME = 253;

    public BgpLeaseData(Cidr address, long as) {
        this(address, as, null, null);
    }

    public BgpLeaseData(Cidr address, long as, String nodeName) {
        this(address, as, nodeName, null);
    }

    public BgpLeaseData {
        if (nodeName != null && (nodeName.isEmpty() || nodeName.length() > MAX_NODE_NAME)) {
            throw new IllegalArgumentException("not a node name: \"" + (nodeName.length() > 60 ? nodeName.substring(0, 57)
                    + "..." : nodeName) + "\"");
        }
        if (!address.isV4()) {
            throw new IllegalArgumentException("the BGP address must be IPv4: " + address);
        }
        if (address6 != null && !address6.isV6()) {
            throw new IllegalArgumentException("the IPv6 BGP address must be IPv6: " + address6);
        }
        if (as < 1 || as > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("not an AS number: " + as);
        }
    }

    public IpAddress ip() {
        return address.address();
    }

    /** The IPv6 session address, or null for an IPv4-only node. */
    public IpAddress ip6() {
        return address6 == null ? null : address6.address();
    }

    public BgpLeaseData withAddress6(Cidr a6) {
        return new BgpLeaseData(address, as, nodeName, a6);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put(ADDRESS, address.toString());
        o.put(AS, as);
        if (nodeName != null) {
            o.put(NODE_NAME, nodeName);
        }
        if (address6 != null) {
            o.put(ADDRESS6, address6.toString());
        }
        return o;
    }

    /**
     * Reads another node's lease.
     *
     * @throws IllegalArgumentException naming what is unusable
     */
    public static BgpLeaseData of(Lease lease) {
        JsonNode data = lease.attrs().backendData();
        if (data == null || !data.isObject()) {
            throw new IllegalArgumentException("BackendData is " + (data == null ? "missing" : "not an object: "
                    + GoObject.describe(data)));
        }
        GoObject o = GoObject.of(data);
        JsonNode a = o.get(ADDRESS);
        if (a == null) {
            throw new IllegalArgumentException("BackendData." + ADDRESS + " is missing or not an IPv4 CIDR");
        }
        Cidr address = cidr(a, ADDRESS, false);
        JsonNode as = o.get(AS);
        if (as == null || !as.isIntegralNumber() || !as.canConvertToLong() || as.longValue() < 1 || as.longValue() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("BackendData." + AS + " is missing or not an AS number");
        }
        JsonNode name = o.get(NODE_NAME);
        if (name != null && (!name.isTextual() || name.textValue().isEmpty() || name.textValue().length() > MAX_NODE_NAME)) {
            throw new IllegalArgumentException("BackendData." + NODE_NAME + " is not a node name (a string of 1.."
                    + MAX_NODE_NAME + " characters)");
        }
        return new BgpLeaseData(address, as.longValue(), name == null ? null : name.textValue(), address6(o.get(ADDRESS6)));
    }

    /**
     * The IPv6Address, or null when there is none or it is unusable: the IPv6 session is an
     * addition, so a bad IPv6 half must not cost the node its IPv4 session (Calico's bird and bird6
     * were independent too). {@link #address6Problem} says what was wrong.
     */
    private static Cidr address6(JsonNode a6) {
        if (a6 == null || a6.isNull()) {
            return null;
        }
        try {
            return cidr(a6, ADDRESS6, true);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Why a lease's IPv6Address is ignored, or null when it is usable or absent. */
    public static String address6Problem(Lease lease) {
        JsonNode data = lease.attrs().backendData();
        return data == null || !data.isObject() ? null : address6Problem(GoObject.of(data).get(ADDRESS6));
    }

    private static String address6Problem(JsonNode a6) {
        if (a6 == null || a6.isNull()) {
            return null;
        }
        try {
            cidr(a6, ADDRESS6, true);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * A CIDR of one family, its text bounded before parsing (18 characters for IPv4, 49 for IPv6,
     * whose longest form ends in a dotted quad). An IPv6 session address must be one a peer can
     * connect to from another node: not IPv4-mapped (that is an IPv4 node, whose session exists
     * already), link-local (no scope to say which link), multicast, loopback or unspecified.
     */
    private static Cidr cidr(JsonNode n, String field, boolean v6) {
        String family = v6 ? "IPv6" : "IPv4";
        if (!n.isTextual() || n.textValue().length() > (v6 ? 49 : 18)) {
            throw new IllegalArgumentException("BackendData." + field + " is missing or not an " + family + " CIDR");
        }
        Cidr c;
        try {
            c = Cidr.parse(n.textValue());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("BackendData." + field + ": " + e.getMessage(), e);
        }
        if (c.isV6() != v6) {
            throw new IllegalArgumentException("BackendData." + field + " is not " + family + ": " + c);
        }
        IpAddress a = c.address();
        if (v6 && (a.isV4Mapped() || a.isLinkLocalUnicast() || a.isMulticast() || a.isLoopback() || a.isUnspecified())) {
            throw new IllegalArgumentException("BackendData." + field + " is not an address another node can reach: " + c);
        }
        return c;
    }
}
