package dev.weft.ipam.hostlocal;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Objects;

/**
 * One address handed out by ADD: an entry of the result's {@code ips}.
 *
 * @param address      the host address with its subnet's prefix, e.g. 10.1.0.5/24
 * @param gateway      the gateway of the range it came from
 * @param rangeSetIndex which range set (and so which {@code last_reserved_ip.N}) it came from
 */
public record Allocation(Cidr address, IpAddress gateway, int rangeSetIndex) {
    public Allocation {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
    }
}
