package dev.weft.ipam.hostlocal;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Objects;

/**
 * A route from {@code ipam.routes}, returned verbatim in the ADD result. {@code dst} keeps host
 * bits as written (the reference does not mask it). The CNI 1.1 attributes are null when absent.
 */
public record Route(Cidr dst, IpAddress gw, Integer mtu, Integer advmss, Integer priority, Integer table,
                    Integer scope) {

    public Route {
        Objects.requireNonNull(dst, "dst");
    }

    public static Route of(Cidr dst, IpAddress gw) {
        return new Route(dst, gw, null, null, null, null, null);
    }
}
