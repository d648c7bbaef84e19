package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * weftctl status: this node as its weftd sees it, read from weftd's local status socket. Exit 0 when
 * weftd is ready, 3 when it answers but is not ready (a probe can use the code), 1 when unreachable.
 */
@Command(name = "status", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "This node: lease and its expiry, backend and device, peers (leases seen, routes programmed), rules, readiness.")
public final class StatusCommand implements Callable<Integer> {
    static final int EXIT_NOT_READY = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = {"-status-socket", "--status-socket"}, defaultValue = "${env:FLANNELD_STATUS_SOCKET:-/run/weft/weftd.sock}",
            description = "weftd's local status socket (weftd's -status-socket)")
    Path socket;

    @Mixin
    OutputFlag output = new OutputFlag();

    @Override
    public Integer call() throws IOException {
        String body = LocalStatus.get(socket, "/status");
        JsonNode doc = JSON.readTree(body);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(body.strip());
        } else {
            out.print(table(doc));
        }
        out.flush();
        return doc.path("ready").asBoolean() ? 0 : EXIT_NOT_READY;
    }

    /** Two columns, one fact a line, as `calicoctl node status` prints its summary. */
    static String table(JsonNode d) {
        JsonNode lease = d.path("lease");
        JsonNode peers = d.path("peers");
        JsonNode rules = d.path("rules");
        TextTable t = new TextTable();
        t.row("Ready", d.path("ready").asBoolean() ? "yes" : "no");
        t.row("Version", d.path("version").asText() + " (commit " + d.path("commit").asText() + ")");
        t.row("Network", text(d, "network") + (d.path("ipv6Network").isTextual() ? ", " + text(d, "ipv6Network") : ""));
        t.row("Backend", text(d, "backend"));
        t.row("Device", text(d, "device"));
        t.row("External interface", text(d, "externalInterface") + " (public IP " + text(d, "publicIP") + ")");
        t.row("Lease", text(lease, "subnet") + (lease.path("subnetV6").isTextual() ? ", " + text(lease, "subnetV6") : ""));
        t.row("Lease expires", lease.path("expires").isTextual()
                ? text(lease, "expires") + " (in " + Durations.human(lease.path("expiresInSeconds").asLong()) + ")" : "never (reservation)");
        t.row("Peers", text(peers, "leasesSeen") + " leases seen, " + (peers.path("routesProgrammed").isNumber()
                ? peers.path("routesProgrammed").asText() + " routes programmed" : "routes kept in user space (udp)"));
        t.row("Rules", "masquerade " + onOff(rules, "masquerade") + ", forward " + onOff(rules, "forward")
                + ", blackhole route " + onOff(rules, "blackholeRoute"));
        t.row("Subnet file", text(d, "subnetFile"));
        return t.render();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.asText();
    }

    private static String onOff(JsonNode n, String field) {
        return n.path(field).asBoolean() ? "on" : "off";
    }
}
