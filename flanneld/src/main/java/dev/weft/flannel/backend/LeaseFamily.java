package dev.weft.flannel.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

/**
 * The IPv4 and IPv6 halves of a (dual-stack) lease, so backends can treat both with one code path.
 * The firewall tools' own notion of a family is {@code dev.weft.firewall.IpFamily}.
 */
public enum LeaseFamily {
    V4(Linux.AF_INET, 32),
    V6(Linux.AF_INET6, 128);

    private final int af;
    private final int hostPrefix;

    LeaseFamily(int af, int hostPrefix) {
        this.af = af;
        this.hostPrefix = hostPrefix;
    }

    /** AF_INET or AF_INET6. */
    public int af() {
        return af;
    }

    /** 32 or 128. */
    public int hostPrefix() {
        return hostPrefix;
    }

    /** The lease's subnet of this family, or null. */
    public Cidr subnet(Lease l) {
        return this == V4 ? l.subnet() : l.subnetV6();
    }

    /** PublicIP or PublicIPv6 (null when absent). */
    public IpAddress publicIp(LeaseAttrs a) {
        return this == V4 ? a.publicIp() : a.publicIpV6();
    }

    /** BackendData or BackendV6Data (null when absent). */
    public JsonNode backendData(LeaseAttrs a) {
        return this == V4 ? a.backendData() : a.backendV6Data();
    }

    /** The flannel Network of this family, or null when the family is disabled. */
    public Cidr network(NetworkConfig c) {
        return this == V4 ? (c.enableIPv4() ? c.network() : null) : (c.enableIPv6() ? c.ipv6Network() : null);
    }

    public boolean enabled(NetworkConfig c) {
        return this == V4 ? c.enableIPv4() : c.enableIPv6();
    }

    /** The interface address of this family. */
    public IpAddress ifaceAddr(ExternalInterface e) {
        return this == V4 ? e.ifaceAddr() : e.ifaceAddrV6();
    }

    /** The public address of this family. */
    public IpAddress extAddr(ExternalInterface e) {
        return this == V4 ? e.extAddr() : e.extAddrV6();
    }

    @Override
    public String toString() {
        return this == V4 ? "IPv4" : "IPv6";
    }
}
