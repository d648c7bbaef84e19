package dev.weft.bgp.fib;

import dev.weft.net.IpAddress;

/**
 * Where a learned prefix is forwarded: the BGP next hop, optionally out of a given device and
 * {@code onlink} (Calico's IPIP shape, {@code via <node> dev tunl0 onlink}: the gateway is not on
 * any local subnet, the kernel is told to trust it is on the link).
 *
 * @param gateway the next hop address (never null: a BGP path always has one)
 * @param device  output device by name, resolved when the route is installed; null for none
 * @param ifindex output device by index, 0 for none (used when {@code device} is null)
 * @param onlink  RTNH_F_ONLINK; needs a device
 * @param weight  ECMP share 1..256 (1 unless the caller weighs paths)
 */
public record NextHop(IpAddress gateway, String device, int ifindex, boolean onlink, int weight) {
    public NextHop {
        if (gateway == null) {
            throw new IllegalArgumentException("a next hop needs a gateway");
        }
        if (onlink && device == null && ifindex == 0) {
            throw new IllegalArgumentException("an onlink next hop needs a device: " + gateway);
        }
        if (weight < 1 || weight > 256) {
            throw new IllegalArgumentException("next hop weight must be 1..256: " + weight);
        }
    }

    public static NextHop via(IpAddress gateway) {
        return new NextHop(gateway, null, 0, false, 1);
    }

    public static NextHop via(String gateway) {
        return via(IpAddress.parse(gateway));
    }

    public NextHop dev(String name) {
        return new NextHop(gateway, name, 0, onlink, weight);
    }

    public NextHop dev(int index) {
        return new NextHop(gateway, null, index, onlink, weight);
    }

    public NextHop withOnlink() {
        return new NextHop(gateway, device, ifindex, true, weight);
    }

    public NextHop withWeight(int w) {
        return new NextHop(gateway, device, ifindex, onlink, w);
    }

    /*
     * By hand, with the generated formula: the record's own go through method handles, which the
     * client compiler does not inline, and the RIB thread compares one hop per learned route
     * (FibRoutes.LastHop).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof NextHop h && h.ifindex == ifindex && h.onlink == onlink && h.weight == weight
                && h.gateway.equals(gateway) && java.util.Objects.equals(h.device, device);
    }

    @Override
    public int hashCode() {
        int r = gateway.hashCode();
        r = 31 * r + java.util.Objects.hashCode(device);
        r = 31 * r + ifindex;
        r = 31 * r + Boolean.hashCode(onlink);
        return 31 * r + weight;
    }

    @Override
    public String toString() {
        String dev = device != null ? " dev " + device : ifindex != 0 ? " dev #" + ifindex : "";
        return "via " + gateway + dev + (onlink ? " onlink" : "") + (weight != 1 ? " weight " + weight : "");
    }
}
