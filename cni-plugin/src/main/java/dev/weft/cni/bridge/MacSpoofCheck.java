package dev.weft.cni.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.exec.CommandRunner;
import dev.weft.net.MacAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code macspoofchk}: frames entering the bridge from the pod's port must carry the pod's MAC.
 * The nftables objects are the reference's ({@code pkg/link/spoofcheck.go}), name for name, so
 * either plugin's DEL removes what the other's ADD made:
 * <pre>
 * table bridge nat
 *   chain PREROUTING  (filter hook prerouting priority -300, policy accept)
 *     iifname "&lt;host veth&gt;" jump cni-br-iface-&lt;id&gt;   comment "macspoofchk-&lt;id&gt;"
 *   chain cni-br-iface-&lt;id&gt;
 *     jump cni-br-iface-&lt;id&gt;-mac                       comment "macspoofchk-&lt;id&gt;"
 *   chain cni-br-iface-&lt;id&gt;-mac
 *     ether saddr &lt;pod mac&gt; return                      comment "macspoofchk-&lt;id&gt;"
 *     drop                                               comment "macspoofchk-&lt;id&gt;"
 * </pre>
 * where id is {@code <containerID>-<ifname>}. The scripts are nft's JSON form, as the reference's
 * library writes them: no quoting rules to get wrong for names made of container IDs.
 *
 * <p>Setup is one {@code nft} transaction (the reference uses two), so a failure leaves nothing.
 * Teardown lists the table once and deletes in one transaction.
 */
final class MacSpoofCheck {
    static final String FAMILY = "bridge";
    static final String TABLE = "nat";
    static final String BASE_CHAIN = "PREROUTING";
    /** The bridge family's "dstnat" priority: before the bridge learns or forwards the frame. */
    static final int PRIORITY = -300;

    private final CommandRunner runner;
    private final String id;

    MacSpoofCheck(CommandRunner runner, String containerId, String ifname) {
        this.runner = runner;
        this.id = containerId + "-" + ifname;
    }

    String ifaceChain() {
        return "cni-br-iface-" + id;
    }

    String macChain() {
        return ifaceChain() + "-mac";
    }

    String comment() {
        return "macspoofchk-" + id;
    }

    void setup(String hostVeth, MacAddress podMac) {
        ArrayNode cmds = Json.array();
        add(cmds, "table", Json.object().put("family", FAMILY).put("name", TABLE));
        add(cmds, "chain", object(null).put("name", BASE_CHAIN).put("type", "filter").put("hook", "prerouting")
                .put("prio", PRIORITY).put("policy", "accept"));
        for (String chain : List.of(ifaceChain(), macChain())) {
            add(cmds, "chain", object(null).put("name", chain));
            // Left over from a DEL that could not finish (the reference skips teardown when the
            // netns is gone): start from empty chains rather than append a second copy.
            cmds.addObject().putObject("flush").set("chain", object(null).put("name", chain));
        }
        ObjectNode ifaceMatch = Json.object();
        ObjectNode m = ifaceMatch.putObject("match").put("op", "==");
        m.putObject("left").putObject("meta").put("key", "iifname");
        m.put("right", hostVeth);
        add(cmds, "rule", rule(BASE_CHAIN, ifaceMatch, jump(ifaceChain())));
        add(cmds, "rule", rule(ifaceChain(), jump(macChain())));
        ObjectNode macMatch = Json.object();
        ObjectNode mm = macMatch.putObject("match").put("op", "==");
        mm.putObject("left").putObject("payload").put("protocol", "ether").put("field", "saddr");
        mm.put("right", podMac.toString());
        ObjectNode ret = Json.object();
        ret.putNull("return");
        add(cmds, "rule", rule(macChain(), macMatch, ret));
        ObjectNode drop = Json.object();
        drop.putNull("drop");
        add(cmds, "rule", rule(macChain(), drop));
        CommandRunner.Result res = apply(cmds, "failed to setup spoof-check");
        if (!res.ok()) {
            throw new CniError(CniError.INTERNAL, "failed to setup spoof-check", res.describe());
        }
    }

    /**
     * Removes this attachment's jump rule(s) and both chains. What is already gone is no error;
     * the table and its base chain stay, shared with other pods, as the reference leaves them.
     *
     * @return an error message, or null when everything is gone
     */
    String teardown() {
        CommandRunner.Result list;
        try {
            list = runner.run(List.of("nft", "-j", "list", "table", FAMILY, TABLE), null);
        } catch (CommandRunner.ToolMissingException e) {
            return null; // without nft nothing was ever set up
        }
        if (!list.ok()) {
            return list.stderr().contains("No such file or directory") ? null
                    : "failed to teardown spoof-check: " + list.describe();
        }
        JsonNode root;
        try {
            root = Json.read(list.stdout().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "failed to teardown spoof-check: cannot parse nft -j output: " + e.getMessage();
        }
        List<Long> jumps = new ArrayList<>();
        List<String> chains = new ArrayList<>();
        for (JsonNode item : root.path("nftables")) {
            JsonNode rule = item.get("rule");
            if (rule != null && BASE_CHAIN.equals(rule.path("chain").asText()) && comment().equals(rule.path("comment").asText())) {
                jumps.add(rule.path("handle").asLong());
            }
            JsonNode chain = item.get("chain");
            if (chain != null && (ifaceChain().equals(chain.path("name").asText()) || macChain().equals(chain.path("name").asText()))) {
                chains.add(chain.path("name").asText());
            }
        }
        if (jumps.isEmpty() && chains.isEmpty()) {
            return null;
        }
        ArrayNode cmds = Json.array();
        for (long handle : jumps) {
            cmds.addObject().putObject("delete").set("rule", object(BASE_CHAIN).put("handle", handle));
        }
        // Emptied first: a chain that still holds rules or is a jump target cannot be deleted.
        for (String chain : chains) {
            cmds.addObject().putObject("flush").set("chain", object(null).put("name", chain));
        }
        for (String chain : chains) {
            cmds.addObject().putObject("delete").set("chain", object(null).put("name", chain));
        }
        CommandRunner.Result res = apply(cmds, "failed to teardown spoof-check");
        return res.ok() ? null : "failed to teardown spoof-check: " + res.describe();
    }

    private CommandRunner.Result apply(ArrayNode cmds, String what) {
        ObjectNode script = Json.object();
        script.set("nftables", cmds);
        try {
            return runner.run(List.of("nft", "-j", "-f", "-"), Json.write(script));
        } catch (CommandRunner.ToolMissingException e) {
            throw new CniError(CniError.INTERNAL, what, "nft not found: " + e.getMessage());
        }
    }

    private static void add(ArrayNode cmds, String kind, ObjectNode body) {
        cmds.addObject().putObject("add").set(kind, body);
    }

    /** family + table, and the chain when given. */
    private static ObjectNode object(String chain) {
        ObjectNode o = Json.object().put("family", FAMILY).put("table", TABLE);
        if (chain != null) {
            o.put("chain", chain);
        }
        return o;
    }

    private ObjectNode rule(String chain, ObjectNode... expr) {
        ObjectNode r = object(chain);
        ArrayNode e = r.putArray("expr");
        for (ObjectNode x : expr) {
            e.add(x);
        }
        r.put("comment", comment());
        return r;
    }

    private static ObjectNode jump(String target) {
        ObjectNode j = Json.object();
        j.putObject("jump").put("target", target);
        return j;
    }
}
