package dev.weft.flannel.ipam;

import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.GoneNodeRelease;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the blocks of nodes that are gone, so that other nodes can claim them (issue 15: "an empty
 * block whose node is gone is released for others"). A node is gone when it holds affinities but
 * its registration {@code <prefix>/nodes/<name>} is absent (its etcd lease expired, or it was
 * deleted); once it has stayed absent for the grace period, every block of it in which nothing is
 * in use (its weftd reserve aside) is deleted with its affinity. Each deletion is a
 * compare-and-swap that also requires the registration to be absent still, so every live node may
 * run this at once, and a node that comes back keeps its blocks. Blocks still holding addresses
 * stay; they are logged when that changes and listed by {@code weftctl ipam check}.
 *
 * <p>Run on one thread (weftd's IPAM upkeep); the clock is a parameter so tests need not wait.
 */
final class GoneNodeSweep {
    private static final Logger LOG = LoggerFactory.getLogger(GoneNodeSweep.class);

    private final BlockAllocator allocator;
    private final String registrations;
    private final Duration grace;
    private final LongSupplier nanoClock;
    /** Node → when it was first seen without a registration. */
    private final Map<String, Long> goneSince = new HashMap<>();
    /** Node → the blocks last reported as kept, so a steady state is logged once. */
    private final Map<String, Map<Cidr, Integer>> reportedKept = new HashMap<>();

    /** No handle's addresses are spare: see {@link #run}. */
    private static final java.util.function.Predicate<String> NO_SPARE = h -> false;

    /**
     * @param registrations the registration directory ({@code <prefix>/nodes/}); a node's key is it + the name
     */
    GoneNodeSweep(BlockAllocator allocator, String registrations, Duration grace, LongSupplier nanoClock) {
        this.allocator = allocator;
        this.registrations = registrations;
        this.grace = grace;
        this.nanoClock = nanoClock;
    }

    /** One pass; returns the blocks it released. */
    List<Cidr> run() throws IpamException {
        Set<String> gone = allocator.unregisteredNodes(registrations);
        long now = nanoClock.getAsLong();
        goneSince.keySet().retainAll(gone); // registered again: the clock starts over if it goes again
        reportedKept.keySet().retainAll(gone);
        List<Cidr> released = new ArrayList<>();
        for (String n : gone) {
            Long since = goneSince.putIfAbsent(n, now);
            if (since == null) {
                LOG.info("node {} holds blocks but has no registration under {}; its empty blocks are released if it stays"
                        + " gone for {} s", n, registrations, grace.toSeconds());
                continue;
            }
            if (now - since < grace.toNanos()) {
                continue;
            }
            GoneNodeRelease r;
            try {
                // Only blocks that hold no address at all go. The gone node's reserve counts as in
                // use: a node cut off from etcd hands reserved addresses to pods and only journals
                // it, so from here its reserve looks unused exactly when it may not be. Releasing it
                // could give one address to two pods; a block kept for it is listed by weftctl ipam
                // check (GONE_NODE_BLOCK, naming the handles) for the operator to release.
                r = allocator.releaseBlocksOf(n, registrations + n, NO_SPARE);
            } catch (IllegalArgumentException e) {
                LOG.warn("gone node {}: {}", n, e.getMessage()); // a name no registration could have
                continue;
            }
            if (!r.released().isEmpty()) {
                LOG.info("node {} has been gone for over {} s: released its empty block(s) {} for other nodes", n,
                        grace.toSeconds(), r.released());
            }
            if (!r.kept().isEmpty() && !r.kept().equals(reportedKept.get(n))) {
                LOG.warn("node {} is gone, but addresses in its block(s) are in use (block=count: {}); they are kept"
                        + " (weftctl ipam check lists them)", n, r.kept());
            }
            reportedKept.put(n, r.kept());
            released.addAll(r.released());
        }
        return released;
    }
}
