package dev.weft.cni.masq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The Debian reference bridge plugin ({@code /usr/lib/cni/bridge}), run as a runtime would, inside a "host" netns. */
final class ReferenceBridge {
    static final String PLUGINS = "/usr/lib/cni";

    private final TestNetns host;
    private final String config;
    private final Path shims;

    /**
     * @param ipamRanges the host-local {@code ranges} JSON, e.g. {@code [[{"subnet":"10.213.0.0/24"}]]}
     * @param extra      more top-level keys, e.g. {@code ,"ipMasqBackend":"nftables"} (may be empty)
     */
    ReferenceBridge(TestNetns host, String network, boolean isGateway, String ipamRanges, Path dataDir, String extra) {
        this.host = host;
        this.config = "{\"cniVersion\":\"1.0.0\",\"name\":\"" + network + "\",\"type\":\"bridge\",\"bridge\":\"wt-br0\","
                + "\"isGateway\":" + isGateway + ",\"ipMasq\":true" + extra + ",\"ipam\":{\"type\":\"host-local\","
                + "\"ranges\":" + ipamRanges + ",\"dataDir\":\"" + dataDir.resolve("ipam") + "\"}}";
        this.shims = dataDir.resolve("shims");
        installShims();
    }

    /**
     * PATH wrappers that log each iptables/ip6tables/nft the reference starts (go-iptables finds
     * them through PATH), so the tests can report what one reference ADD costs.
     */
    private void installShims() {
        installShims("");
    }

    /** Makes the reference use {@code iptables-legacy} (x_tables, where the xtables lock matters). */
    ReferenceBridge withLegacyIptables() {
        installShims("-legacy");
        return this;
    }

    private void installShims(String flavour) {
        try {
            Files.createDirectories(shims);
            for (String tool : List.of("iptables", "ip6tables", "nft")) {
                Path shim = shims.resolve(tool);
                String target = tool.equals("nft") ? tool : tool + flavour;
                Files.writeString(shim, "#!/bin/sh\necho " + tool + " \"$@\" >> " + shims.resolve("log")
                        + "\nexec /usr/sbin/" + target + " \"$@\"\n");
                shim.toFile().setExecutable(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Tool invocations the reference made since the last call, and reset. */
    List<String> takeToolCalls() {
        Path log = shims.resolve("log");
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            List<String> lines = Files.readAllLines(log);
            Files.delete(log);
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ADD; returns the pod's addresses from the result. */
    List<Cidr> add(String containerId, TestNetns pod) {
        Cmd.Result r = call("ADD", containerId, pod);
        try {
            JsonNode result = new ObjectMapper().readTree(r.stdout());
            List<Cidr> out = new ArrayList<>();
            for (JsonNode ip : result.path("ips")) {
                out.add(Cidr.parse(ip.path("address").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void del(String containerId, TestNetns pod) {
        call("DEL", containerId, pod);
    }

    /** DEL that may fail: returns the plugin's result whatever its exit code. */
    Cmd.Result tryDel(String containerId, TestNetns pod) {
        return command("DEL", containerId, pod).tryRun();
    }

    private Cmd.Result call(String verb, String containerId, TestNetns pod) {
        return command(verb, containerId, pod).run();
    }

    private Cmd.Call command(String verb, String containerId, TestNetns pod) {
        return Cmd.of(PLUGINS + "/bridge").netns(host.name())
                .env("PATH", shims + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
                .env("CNI_COMMAND", verb).env("CNI_CONTAINERID", containerId)
                .env("CNI_NETNS", pod.path().toString()).env("CNI_IFNAME", "eth0").env("CNI_PATH", PLUGINS)
                .input(config);
    }
}
