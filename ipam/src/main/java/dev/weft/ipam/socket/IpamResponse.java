package dev.weft.ipam.socket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.json.JsonTree;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * weftd's answer: addresses (each a host prefix, /32 or /128, as Calico's IPAM hands pods) and a
 * one-line status, or a CNI error.
 *
 * @param code 0 for success, else the CNI error code
 */
public record IpamResponse(int code, String msg, String details, List<Cidr> ips, String info) {
    public IpamResponse {
        ips = List.copyOf(ips);
    }

    public static IpamResponse ok(List<Cidr> ips, String info) {
        return new IpamResponse(0, null, null, ips, info);
    }

    public static IpamResponse error(IpamException e) {
        return new IpamResponse(e.code() == 0 ? CniErrorCodes.INTERNAL : e.code(), e.msg(), e.details(), List.of(), null);
    }

    public boolean isOk() {
        return code == 0;
    }

    /** This response as the plugin's exception, or nothing when it is a success. */
    public void throwIfError() throws IpamException {
        if (!isOk()) {
            throw new IpamException(code, msg, details);
        }
    }

    public byte[] encode() {
        ObjectNode o = JsonTree.object();
        if (isOk()) {
            ArrayNode a = o.putArray("ips");
            for (Cidr c : ips) {
                a.add(c.toString());
            }
            if (info != null) {
                o.put("info", info);
            }
        } else {
            ObjectNode e = o.putObject("error");
            e.put("code", code).put("msg", msg);
            if (details != null) {
                e.put("details", details);
            }
        }
        return JsonTree.bytes(o);
    }

    /** The plugin's reading of weftd's answer (already bounded by {@link IpamFrame}). */
    public static IpamResponse parse(byte[] payload) throws IpamException {
        try {
            JsonNode o = JsonTree.read(payload);
            JsonNode e = o == null ? null : o.get("error");
            if (e != null && e.isObject()) {
                int code = e.path("code").asInt(CniErrorCodes.INTERNAL);
                return new IpamResponse(code == 0 ? CniErrorCodes.INTERNAL : code, e.path("msg").asText("weftd failed"),
                        e.hasNonNull("details") ? e.get("details").asText() : null, List.of(), null);
            }
            List<Cidr> ips = new ArrayList<>();
            for (JsonNode a : o.path("ips")) {
                ips.add(Cidr.parse(a.asText()));
            }
            return ok(ips, o.hasNonNull("info") ? o.get("info").asText() : null);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new IpamException(CniErrorCodes.DECODE_FAILURE, "weftd's answer could not be read", String.valueOf(e.getMessage()));
        }
    }
}
