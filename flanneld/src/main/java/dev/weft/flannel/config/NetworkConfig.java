package dev.weft.flannel.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

/**
 * A parsed, defaulted and checked flannel network config.
 *
 * <pre>{@code
 * NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
 * c.subnetLen();   // 24
 * c.subnetMin();   // 10.244.1.0  (the first subnet is skipped)
 * c.subnetMax();   // 10.244.255.0
 * }</pre>
 *
 * @param enableIPv4     EnableIPv4 (default true)
 * @param enableIPv6     EnableIPv6 (default false)
 * @param ipv4           the IPv4 range, null when IPv4 is disabled
 * @param ipv6           the IPv6 range, null when IPv6 is disabled
 * @param enableNFTables EnableNFTables (default false)
 * @param backend        the raw Backend object for the backend to read its own options; null if absent
 * @param backendType    lower-case backend name; "vxlan" when Backend or its Type is absent
 */
public record NetworkConfig(boolean enableIPv4, boolean enableIPv6, SubnetRange ipv4, SubnetRange ipv6,
                            boolean enableNFTables, JsonNode backend, String backendType) {

    public NetworkConfig {
        if (enableIPv4 != (ipv4 != null)) {
            throw new IllegalArgumentException("ipv4 range must be given exactly when IPv4 is enabled");
        }
        if (enableIPv6 != (ipv6 != null)) {
            throw new IllegalArgumentException("ipv6 range must be given exactly when IPv6 is enabled");
        }
        backend = backend == null ? null : backend.deepCopy(); // JsonNode is mutable; keep ours private
    }

    /**
     * Parses net-conf JSON with Go's case-insensitive keys, applies flannel's defaults and checks.
     *
     * @throws ConfigException naming the key at fault
     */
    public static NetworkConfig parse(String json) {
        return NetworkConfigParser.parse(json);
    }

    /** A copy of the raw Backend object (null if absent). */
    @Override
    public JsonNode backend() {
        return backend == null ? null : backend.deepCopy();
    }

    public Cidr network() {
        return ipv4 == null ? null : ipv4.network();
    }

    public int subnetLen() {
        return ipv4 == null ? 0 : ipv4.subnetLen();
    }

    public IpAddress subnetMin() {
        return ipv4 == null ? null : ipv4.min();
    }

    public IpAddress subnetMax() {
        return ipv4 == null ? null : ipv4.max();
    }

    public Cidr ipv6Network() {
        return ipv6 == null ? null : ipv6.network();
    }

    public int ipv6SubnetLen() {
        return ipv6 == null ? 0 : ipv6.subnetLen();
    }

    public IpAddress ipv6SubnetMin() {
        return ipv6 == null ? null : ipv6.min();
    }

    public IpAddress ipv6SubnetMax() {
        return ipv6 == null ? null : ipv6.max();
    }
}
