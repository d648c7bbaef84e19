package dev.weft.ipam.blocks;

import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * One node's allocations against the pods the node really has (for {@code weftctl ipam check},
 * like {@code calicoctl ipam check}'s leaked and missing addresses): an address allocated for the
 * node (its attributes name the node) whose handle is no pod of the node, a pod whose handle holds
 * nothing, a pod whose recorded address its handle does not hold. Pure: the caller reads the tree
 * and the node's pods.
 *
 * @param node      the node, as its allocations' {@code node} attribute names it
 * @param pods      handle ({@code <network>.<containerID>}) → addresses recorded for the pod (may be empty)
 * @param pending   handles whose allocation is still journaled on the node (handed out while etcd was
 *                  away, not yet in etcd): neither missing nor orphaned
 * @param notAPod   handles that are the node's own business, not pods (weftd's reserve)
 */
public record NodePodCheck(String node, Map<String, Set<IpAddress>> pods, Set<String> pending, Predicate<String> notAPod) {
    public List<Problem> run(IpamTree tree) {
        List<Problem> problems = new ArrayList<>();
        Map<String, Set<IpAddress>> held = new TreeMap<>();
        for (IpamTree.Block b : tree.blocks()) {
            AllocationBlock blk = b.block();
            if (blk == null) {
                continue; // reported as corrupt; what it holds cannot be known
            }
            for (int o = 0; o < blk.size(); o++) {
                int i = blk.allocation(o);
                if (i == AllocationBlock.FREE) {
                    continue;
                }
                AllocationAttribute attr = blk.attributes().get(i);
                String h = attr.handleId();
                if (h != null) {
                    held.computeIfAbsent(h, k -> new TreeSet<>()).add(blk.address(o));
                }
                if (!node.equals(attr.node()) || h != null && (pods.containsKey(h) || pending.contains(h) || notAPod.test(h))) {
                    continue;
                }
                problems.add(new Problem(Problem.Kind.ORPHAN_ALLOCATION, b.key(), blk.address(o) + " is allocated for node "
                        + node + (h == null ? " without a handle" : " to " + h + describe(attr)) + ", and the node has no such pod"));
            }
        }
        pods.forEach((h, recorded) -> {
            if (pending.contains(h)) {
                return;
            }
            Set<IpAddress> has = held.getOrDefault(h, Set.of());
            if (has.isEmpty()) {
                IpamHandle rec = tree.handles().get(h);
                problems.add(new Problem(Problem.Kind.POD_WITHOUT_ALLOCATION, tree.handleKey(h), "pod " + h
                        + " of node " + node + " holds no address in etcd" + (rec == null ? ""
                        : " (its handle record names " + rec.blocks().keySet() + ", which may be corrupt)")));
                return;
            }
            for (IpAddress a : recorded) {
                if (!has.contains(a)) {
                    problems.add(new Problem(Problem.Kind.POD_ADDRESS_MISMATCH, tree.handleKey(h), "pod " + h + " of node "
                            + node + " uses " + a + ", but its handle holds " + has));
                }
            }
        });
        return problems;
    }

    private static String describe(AllocationAttribute a) {
        if (a.secondary() == null) {
            return "";
        }
        String ns = a.secondary().get(Attributes.NAMESPACE);
        String pod = a.secondary().get(Attributes.POD);
        return pod == null ? "" : " (pod " + (ns == null ? "" : ns + "/") + pod + ")";
    }
}
