package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.flannel.nodes.NodeKeys;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.ipam.blocks.GoneNodeCheck;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.ipam.blocks.NodePodCheck;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.ipam.blocks.Problem;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * weftctl ipam check, like {@code calicoctl ipam check}: the whole IPAM tree (corrupt values, blocks
 * with a missing or mismatched affinity, handle records that disagree with the blocks, ...) and this
 * node's allocations against its pods (the runtime's CNI result cache, plus pods weftd handed an
 * address while etcd was away and has not replayed yet): addresses allocated for the node with no
 * pod, pods with no address; and, where nodes register (block IPAM on the bgp backend), blocks of
 * nodes that are gone, which weftd keeps while addresses in them are in use. Read-only. One line
 * per problem, naming its key; exit 0 when there is none, {@value #EXIT_PROBLEMS} when there are,
 * 1 when the check could not run.
 */
@Command(name = "check", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Problems in etcd's IPAM data and between this node's allocations and its pods; exit 3 if any.")
public final class IpamCheckCommand implements Callable<Integer> {
    static final int EXIT_PROBLEMS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    OutputFlag output = new OutputFlag();

    @Mixin
    IpamSource source = new IpamSource();

    @Override
    public Integer call() throws Exception {
        String node = source.node.resolvedNodeName();
        CniCache.Pods pods = source.pods();
        if (!pods.exists()) {
            throw new IOException("the CNI result cache " + pods.dir() + " does not exist, so this node's pods are not known"
                    + " (--cni-cache-dir names where the container runtime keeps it)");
        }
        Set<String> journaled = BlockIpam.journaledPods(source.node.ipamJournal());
        IpamTree tree;
        List<Problem> problems = new ArrayList<>();
        try (IpamSource.Opened o = source.open()) {
            PoolConfig pools = source.pools(o);
            tree = o.tree();
            problems.addAll(tree.problems(pools));
            Set<String> registered = registeredNodes(o);
            if (!registered.isEmpty()) { // nodes on subnet leases register nowhere: none of them is gone
                problems.addAll(new GoneNodeCheck(registered, h -> false).run(tree)); // as the sweep: a reserve counts as use
            }
        }
        problems.addAll(pods.unreadable());
        problems.addAll(new NodePodCheck(node, pods.byHandle(), journaled, BlockIpam::isWeftdOwn).run(tree));

        PrintWriter out = spec.commandLine().getOut();
        String summary = "node " + node + ": " + pods.pods().size() + " pod attachment(s) in " + pods.dir() + ", "
                + tree.blocks().size() + " block(s) and " + tree.handles().size() + " handle(s) under " + tree.prefix();
        if (output.json()) {
            out.println(json(node, tree.prefix(), pods.pods().size(), problems));
        } else {
            out.print(lines(problems));
            out.println((problems.isEmpty() ? "no problems" : problems.size() + " problem(s)") + " (" + summary + ")");
        }
        out.flush();
        return problems.isEmpty() ? 0 : EXIT_PROBLEMS;
    }

    /** The names of the nodes registered under {@code <etcd-prefix>/nodes/} (block IPAM nodes on the bgp backend). */
    private Set<String> registeredNodes(IpamSource.Opened o) {
        NodeKeys keys = new NodeKeys(source.store.etcdPrefix);
        Set<String> out = new java.util.TreeSet<>();
        for (KvEntry e : o.kv().list(keys.dir()).entries()) {
            String name = keys.nameOf(e.key());
            if (name != null) {
                out.add(name);
            }
        }
        return out;
    }

    /** One line per problem: {@code KIND key: detail} (a value's text in a detail cannot break the line). */
    static String lines(List<Problem> problems) {
        StringBuilder b = new StringBuilder();
        for (Problem p : problems) {
            b.append(p.toString().replace('\n', ' ').replace('\r', ' ')).append('\n');
        }
        return b.toString();
    }

    static String json(String node, String prefix, int pods, List<Problem> problems) {
        ObjectNode doc = JSON.createObjectNode().put("node", node).put("prefix", prefix).put("pods", pods);
        ArrayNode ps = doc.putArray("problems");
        for (Problem p : problems) {
            ps.addObject().put("kind", p.kind().name()).put("key", p.key()).put("detail", p.detail());
        }
        return doc.toString();
    }
}
