package dev.weft.cni.blockipam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.Family;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.ipam.socket.IpamTransport;
import dev.weft.net.Cidr;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * weft-ipam: block IPAM for pods, served by weftd over its CNI socket (the plugin holds no etcd
 * client). Config: {@code "ipam": {"type": "weft-ipam", "socket": "/run/weft/cni.sock",
 * "families": ["ipv4", "ipv6"]}}, both optional (default: every family weftd's pools cover).
 *
 * <p>Addresses come back as host prefixes (/32, /128) without a gateway, as Calico's IPAM hands
 * them: a routed pod reaches everything through its link-local gateway, not through the block.
 * The handle is {@code <network>.<containerID>}, Calico's.
 *
 * <p>DEL when weftd cannot be reached succeeds (with a note on stderr): DEL must succeed once the
 * pod is gone, or the runtime retries it forever and the sandbox is never torn down; the address
 * stays allocated in etcd under the pod's handle, and the runtime's next GC (CNI 1.1), which no
 * longer lists the attachment, releases it through weftd. ADD, CHECK and GC fail with code 11.
 */
public final class BlockIpamPlugin implements CniPlugin {
    /** weftd's own block IPAM when weftd runs this plugin itself (for a thick shim), else null: the socket. */
    private final IpamTransport direct;

    /** The plugin as a CNI executable runs it: every request over the socket its config names. */
    public BlockIpamPlugin() {
        this(null);
    }

    /**
     * The plugin inside weftd: requests go straight to {@code direct}, no socket round trip to
     * itself. The config's {@code socket} is still checked as the executable checks it.
     */
    public BlockIpamPlugin(IpamTransport direct) {
        this.direct = direct;
    }

    @Override
    public String name() {
        return "weft-ipam";
    }

    @Override
    public Set<String> knownArgs() {
        return Set.of("K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    }

    private IpamTransport client(Request r) {
        Path socket = socket(r);
        return direct != null ? direct : new IpamClient(socket);
    }

    /** The socket the config names ({@code ipam.socket}), or weftd's default. */
    public static Path socket(Request r) {
        JsonNode s = r.config().path("ipam").get("socket");
        if (s == null || s.isNull()) {
            return IpamClient.DEFAULT_SOCKET;
        }
        if (!s.isTextual() || s.asText().isEmpty()) {
            throw new CniError(CniError.INVALID_CONFIG, "ipam.socket must be a path");
        }
        return Path.of(s.asText());
    }

    private static String handle(Request r) {
        return r.networkName() + "." + r.containerId();
    }

    private static List<Family> families(Request r) {
        List<Family> out = new ArrayList<>();
        for (JsonNode f : r.config().path("ipam").path("families")) {
            switch (f.asText()) {
                case "ipv4" -> out.add(Family.V4);
                case "ipv6" -> out.add(Family.V6);
                default -> throw new CniError(CniError.INVALID_CONFIG, "ipam.families: unknown family \"" + f.asText()
                        + "\" (ipv4, ipv6)");
            }
        }
        return out;
    }

    private static IpamResponse call(IpamTransport c, IpamRequest req) {
        try {
            IpamResponse resp = c.call(req);
            resp.throwIfError();
            return resp;
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    @Override
    public Result add(Request r) {
        IpamRequest.Allocate a = new IpamRequest.Allocate(handle(r), r.containerId(), r.ifname(),
                r.args().get("K8S_POD_NAMESPACE"), r.args().get("K8S_POD_NAME"), families(r));
        List<Result.IpConfig> ips = new ArrayList<>();
        for (Cidr c : call(client(r), a).ips()) {
            ips.add(new Result.IpConfig(c, null, null));
        }
        return Result.empty().withIps(ips);
    }

    @Override
    public void del(Request r) {
        IpamTransport c = client(r);
        try {
            c.call(new IpamRequest.Release(handle(r))).throwIfError();
        } catch (IpamException e) {
            if (e.code() != CniErrorCodes.TRY_AGAIN_LATER) {
                throw asCni(e);
            }
            System.err.println("weft-ipam: DEL of " + handle(r) + " could not reach weftd (" + e.msg()
                    + "); the address stays allocated until the runtime's GC releases it");
        }
    }

    @Override
    public void check(Request r) {
        List<Cidr> held = call(client(r), new IpamRequest.Check(handle(r))).ips();
        Result prev = r.prevResult();
        if (prev == null) {
            return;
        }
        for (Result.IpConfig ip : prev.ips()) {
            if (!held.contains(Cidr.ofHost(ip.address().address()))) {
                throw new CniError(CniError.INTERNAL, "prevResult address " + ip.address() + " is not held by "
                        + handle(r) + " (weftd has " + held + ")");
            }
        }
    }

    @Override
    public void gc(Request r) {
        Set<String> valid = new HashSet<>();
        try {
            for (Attachment a : Attachment.fromGcConfig(r.config()).orElse(Set.of())) {
                valid.add(r.networkName() + "." + a.containerId());
            }
        } catch (IpamException e) {
            throw asCni(e);
        }
        call(client(r), new IpamRequest.Gc(r.networkName(), valid));
    }

    @Override
    public void status(Request r) {
        try {
            client(r).call(new IpamRequest.Status()).throwIfError();
        } catch (IpamException e) {
            // weftd down: the plugin cannot serve ADDs at all (STATUS code 50, not 11)
            throw asCni(e.code() == CniErrorCodes.TRY_AGAIN_LATER
                    ? new IpamException(CniErrorCodes.NOT_AVAILABLE, e.msg(), e.details(), e) : e);
        }
    }

    private static CniError asCni(IpamException e) {
        CniError c = new CniError(e.code(), e.msg(), e.details());
        c.initCause(e);
        return c;
    }
}
