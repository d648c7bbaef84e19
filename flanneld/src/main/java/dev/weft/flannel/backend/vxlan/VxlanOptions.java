package dev.weft.flannel.backend.vxlan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.json.GoObject;

/**
 * The vxlan Backend options of the net-conf, read as flannel's Go struct reads them: keys match
 * ignoring case, absent keys keep the default, a value of the wrong JSON type is an error.
 *
 * @param vni           VNI, default 1; the device is {@code flannel.<VNI>}
 * @param port          UDP port; 0 (default) leaves it to the kernel, which uses 8472
 * @param gbp           Group Based Policy extension
 * @param learning      source-address learning on the device (flannel default: off)
 * @param directRouting route straight to peers on the same L2 segment instead of encapsulating
 * @param mtu           the underlay ("link") MTU to subtract the 50-byte overhead from; 0 = the
 *                      external interface's MTU
 */
public record VxlanOptions(int vni, int port, boolean gbp, boolean learning, boolean directRouting, int mtu) {
    public static final int DEFAULT_VNI = 1;
    /** The port the kernel uses when none is given (Linux's pre-IANA vxlan port). */
    public static final int KERNEL_DEFAULT_PORT = 8472;
    /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
    public static final int ENCAP_OVERHEAD = 50;
    private static final int MAX_VNI = (1 << 24) - 1;

    public VxlanOptions {
        if (vni < 0 || vni > MAX_VNI) {
            throw new BackendException("vxlan VNI must be between 0 and " + MAX_VNI + ": " + vni);
        }
        if (port < 0 || port > 65535) {
            throw new BackendException("vxlan Port must be between 0 and 65535: " + port);
        }
        if (mtu < 0) {
            throw new BackendException("vxlan MTU must not be negative: " + mtu);
        }
    }

    public static VxlanOptions defaults() {
        return new VxlanOptions(DEFAULT_VNI, 0, false, false, false, 0);
    }

    /** Parses the raw Backend object (null = all defaults). */
    public static VxlanOptions parse(JsonNode backend) {
        if (backend == null || backend.isNull()) {
            return defaults();
        }
        if (!backend.isObject()) {
            throw new BackendException("error decoding VXLAN backend config: expected an object, got "
                    + GoObject.describe(backend));
        }
        GoObject o = GoObject.of(backend);
        return new VxlanOptions(
                integer(o, "VNI", DEFAULT_VNI),
                integer(o, "Port", 0),
                bool(o, "GBP"),
                bool(o, "Learning"),
                bool(o, "DirectRouting"),
                integer(o, "MTU", 0));
    }

    private static int integer(GoObject o, String key, int dflt) {
        JsonNode n = o.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new BackendException("error decoding VXLAN backend config: " + key + " must be an integer, got "
                    + GoObject.describe(n));
        }
        return n.intValue();
    }

    private static boolean bool(GoObject o, String key) {
        JsonNode n = o.get(key);
        if (n == null) {
            return false;
        }
        if (!n.isBoolean()) {
            throw new BackendException("error decoding VXLAN backend config: " + key + " must be a boolean, got "
                    + GoObject.describe(n));
        }
        return n.booleanValue();
    }

    /** The UDP port the device really uses. */
    public int effectivePort() {
        return port == 0 ? KERNEL_DEFAULT_PORT : port;
    }

    /** {@code flannel.<VNI>}. */
    public String deviceName() {
        return "flannel." + vni;
    }

    /** {@code flannel-v6.<VNI>}. */
    public String v6DeviceName() {
        return "flannel-v6." + vni;
    }

    /** Device MTU (and FLANNEL_MTU): the link MTU minus 50. */
    public int deviceMtu(int extIfaceMtu) {
        return (mtu > 0 ? mtu : extIfaceMtu) - ENCAP_OVERHEAD;
    }

    @Override
    public String toString() {
        return "VNI=" + vni + " Port=" + port + " GBP=" + gbp + " Learning=" + learning + " DirectRouting="
                + directRouting + " MTU=" + mtu;
    }
}
