package dev.weft.cni.spec;

import java.util.List;

/** The CNI spec versions Weft speaks, and the comparisons the verbs need. */
public final class CniVersion {
    public static final String CURRENT = "1.1.0";
    public static final List<String> SUPPORTED = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");

    private CniVersion() {
    }

    /** Throws code 1 unless {@code v} is exactly one of {@link #SUPPORTED}. */
    public static void requireSupported(String v) {
        if (!SUPPORTED.contains(v)) {
            throw new CniError(CniError.INCOMPATIBLE_VERSION, "incompatible CNI versions",
                    "config is \"" + v + "\", plugin supports " + goQuotedList(SUPPORTED));
        }
    }

    /** Compares dotted versions numerically; -1, 0, 1. */
    public static int compare(String a, String b) {
        int[] x = parse(a);
        int[] y = parse(b);
        for (int i = 0; i < 3; i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return 0;
    }

    public static boolean atLeast(String v, String min) {
        return compare(v, min) >= 0;
    }

    /** 0.3.x and 0.4.0 results carry a "version" on each IP; 1.x results do not. */
    public static boolean hasIpVersionField(String v) {
        return compare(v, "1.0.0") < 0;
    }

    /** Interface mtu/socketPath/pciID and route mtu/advmss/priority/table/scope exist from 1.1.0. */
    public static boolean hasExtendedFields(String v) {
        return compare(v, "1.1.0") >= 0;
    }

    private static int[] parse(String v) {
        String[] p = v.split("\\.");
        int[] r = new int[3];
        for (int i = 0; i < 3 && i < p.length; i++) {
            try {
                r[i] = Integer.parseInt(p[i]);
            } catch (NumberFormatException e) {
                throw new CniError(CniError.INCOMPATIBLE_VERSION, "invalid CNI version \"" + v + "\"");
            }
        }
        return r;
    }

    /** Go's %q formatting of a string slice, as the reference error details show it. */
    static String goQuotedList(List<String> l) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) {
            b.append(i == 0 ? "" : " ").append('"').append(l.get(i)).append('"');
        }
        return b.append(']').toString();
    }
}
