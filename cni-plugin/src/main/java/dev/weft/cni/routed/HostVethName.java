package dev.weft.cni.routed;

import dev.weft.cni.skel.Request;
import java.nio.charset.StandardCharsets;

/**
 * The host end's name, deterministic as Calico's: the prefix plus the first 11 hex digits of
 * SHA-1 over {@code <namespace>.<pod>} from CNI_ARGS, or over the container id when the runtime
 * passes no Kubernetes names. The same pod always gets the same name, so a repeated ADD finds
 * (and replaces) the link a previous sandbox left, and an operator can tell which pod a link serves.
 */
final class HostVethName {
    private static final int HEX_DIGITS = 11;

    private HostVethName() {
    }

    static String of(Request r, String prefix) {
        String ns = r.args().get("K8S_POD_NAMESPACE");
        String pod = r.args().get("K8S_POD_NAME");
        String key = ns != null && !ns.isEmpty() && pod != null && !pod.isEmpty() ? ns + "." + pod : r.containerId();
        return prefix + sha1Hex(key).substring(0, HEX_DIGITS);
    }

    static String sha1Hex(String s) {
        byte[] d = Sha1.digest(s.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder(2 * d.length);
        for (byte b : d) {
            hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return hex.toString();
    }
}
