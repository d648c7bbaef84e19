package dev.weft.flannel.backend.udp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.json.GoObject;

/**
 * The udp Backend options of the net-conf, read as flannel's Go struct reads them (keys match
 * ignoring case, absent keys keep the default).
 *
 * @param port the UDP port every node listens on and sends to, default {@value #DEFAULT_PORT}
 */
public record UdpOptions(int port) {
    public static final int DEFAULT_PORT = 8285;
    /** Outer IPv4 (20) + UDP (8). */
    public static final int ENCAP_OVERHEAD = 28;
    /** flannel's TUN name template; the kernel picks the number (normally flannel0). */
    public static final String DEVICE_TEMPLATE = "flannel%d";

    public UdpOptions {
        if (port <= 0 || port > 65535) {
            throw new BackendException("udp Port must be between 1 and 65535: " + port);
        }
    }

    /** Parses the raw Backend object (null = defaults). A Port of 0 means the default, as in flannel. */
    public static UdpOptions parse(JsonNode backend) {
        if (backend == null || backend.isNull()) {
            return new UdpOptions(DEFAULT_PORT);
        }
        if (!backend.isObject()) {
            throw new BackendException("error decoding UDP backend config: expected an object, got "
                    + GoObject.describe(backend));
        }
        JsonNode n = GoObject.of(backend).get("Port");
        if (n == null || n.isNull()) {
            return new UdpOptions(DEFAULT_PORT);
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new BackendException("error decoding UDP backend config: Port must be an integer, got "
                    + GoObject.describe(n));
        }
        return new UdpOptions(n.intValue() == 0 ? DEFAULT_PORT : n.intValue());
    }

    /** TUN MTU (and FLANNEL_MTU): the external MTU minus 28. */
    public static int deviceMtu(int extMtu) {
        return extMtu - ENCAP_OVERHEAD;
    }
}
