package dev.weft.flannel.ipam;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.Allocation;
import dev.weft.ipam.blocks.Attributes;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Family;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.net.Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The node's block IPAM as the CNI socket serves it: the allocator while etcd answers, the
 * reserve and the {@link OfflineJournal} while it does not (design in the package doc).
 * Online ADD, DEL and CHECK go to the allocator without this object's lock, so concurrent ones reach
 * it together and it can write them as one etcd transaction; the lock guards the online flag, the
 * reserve and the journal.
 */
final class NodeIpam {
    private static final Logger LOG = LoggerFactory.getLogger(NodeIpam.class);
    /** Handles of reserved addresses: {@code weftd-reserve.<node>.<n>}; never a pod's ({@code <network>.<id>}). */
    static final String RESERVE_PREFIX = "weftd-reserve.";

    private final BlockAllocator allocator;
    private final List<Family> families;
    private final OfflineJournal journal;
    private final int reserve;
    private final String reservePrefix;
    private boolean online = true;
    private String offlineReason = "";

    /**
     * @param families the families the pools cover (reserves are kept for each)
     * @param reserve  addresses kept in reserve per family for etcd outages (0: none)
     */
    NodeIpam(BlockAllocator allocator, List<Family> families, OfflineJournal journal, int reserve) {
        this.allocator = allocator;
        this.families = List.copyOf(families);
        this.journal = journal;
        this.reserve = reserve;
        this.reservePrefix = RESERVE_PREFIX + allocator.node() + ".";
    }

    /**
     * Settles what the journal says happened offline, adopts reservation handles a crash left out
     * of the journal, and fills the reserve. Call with etcd reachable (weftd has just opened the allocator).
     */
    synchronized void start() throws IpamException, IOException {
        replay();
        adopt();
        refill();
    }

    /** Brings the journal's reserve in line with etcd (see {@link #start}). */
    private void adopt() throws IpamException, IOException {
        Set<String> known = new TreeSet<>();
        for (OfflineJournal.Reserved r : journal.reserved) {
            known.add(r.handle());
        }
        Set<String> mine = allocator.handles();
        // Reservations the journal names but etcd lost (released by hand, GC of another tool): dropped.
        journal.reserved.removeIf(r -> !mine.contains(r.handle()));
        for (String h : new TreeSet<>(mine)) {
            if (h.startsWith(reservePrefix) && !known.contains(h)) {
                for (Allocation a : allocator.addressesOf(h)) {
                    journal.reserved.add(new OfflineJournal.Reserved(h, a.hostCidr()));
                }
            }
        }
        journal.save();
    }

    BlockAllocator allocator() {
        return allocator;
    }

    synchronized boolean online() {
        return online;
    }

    synchronized int reserved(Family f) {
        return journal.reservedCount(f);
    }

    synchronized int pending() {
        return journal.pending.size();
    }

    IpamResponse handle(IpamRequest r) {
        try {
            if (r instanceof IpamRequest.Allocate a) {
                return IpamResponse.ok(allocate(a), null);
            } else if (r instanceof IpamRequest.Release rel) {
                release(rel.handle());
                return IpamResponse.ok(List.of(), null);
            } else if (r instanceof IpamRequest.Check c) {
                return IpamResponse.ok(check(c.handle()), null);
            } else if (r instanceof IpamRequest.Gc g) {
                return IpamResponse.ok(List.of(), "released " + gc(g.network(), g.valid()));
            } else {
                return status();
            }
        } catch (IpamException e) {
            return IpamResponse.error(e);
        } catch (IllegalArgumentException e) {
            return IpamResponse.error(new IpamException(CniErrorCodes.INVALID_CONFIG, e.getMessage()));
        }
    }

    // ---------------------------------------------------------------- verbs

    List<Cidr> allocate(IpamRequest.Allocate a) throws IpamException {
        checkPodHandle(a.handle());
        Attributes attrs = Attributes.of(a.containerId(), a.ifName(), a.namespace(), a.pod());
        List<Cidr> out = new ArrayList<>();
        List<Family> left = new ArrayList<>(a.families().isEmpty() ? families : a.families());
        if (online()) {
            try {
                for (Iterator<Family> it = left.iterator(); it.hasNext(); ) {
                    out.add(allocator.allocate(a.handle(), attrs, it.next()).hostCidr());
                    it.remove();
                }
                return out;
            } catch (IpamException e) {
                if (!unreachable(e)) {
                    throw e;
                }
                wentOffline(e);
            }
        }
        synchronized (this) {
            out.addAll(fromReserve(a, left));
        }
        return out;
    }

    /** Offline ADD: reserved addresses for the families still missing, journaled before the answer. */
    private List<Cidr> fromReserve(IpamRequest.Allocate a, List<Family> fams) throws IpamException {
        List<OfflineJournal.Entry> added = new ArrayList<>();
        List<OfflineJournal.Reserved> taken = new ArrayList<>();
        List<Cidr> out = new ArrayList<>();
        for (Family f : fams) {
            Cidr already = offlineAddressOf(a.handle(), f);
            if (already != null) { // a repeated ADD while offline
                out.add(already);
                continue;
            }
            OfflineJournal.Reserved r = takeReserved(f);
            if (r == null) {
                journal.reserved.addAll(taken);
                int free = allocator.cachedFree(f);
                String why = free == 0
                        ? "the node's blocks have no free " + f.keyName() + " address either, so this ADD needs a new block,"
                                + " and claiming one needs etcd"
                        : "the " + free + " free " + f.keyName() + " address(es) of the node's blocks can only be handed out"
                                + " through etcd (another node may borrow them meanwhile)";
                throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "etcd is unreachable (" + offlineReason
                        + ") and weftd has no reserved " + f.keyName() + " address left (it keeps " + reserve
                        + "); " + why + "; try again later");
            }
            taken.add(r);
            added.add(new OfflineJournal.Assigned(r.handle(), r.address(), a.handle(), a.containerId(), a.ifName(),
                    a.namespace(), a.pod()));
            out.add(r.address());
        }
        journal.pending.addAll(added);
        try {
            journal.save();
        } catch (IOException e) {
            journal.pending.removeAll(added);
            journal.reserved.addAll(taken);
            throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "etcd is unreachable and the IPAM journal "
                    + journal.file() + " could not be written: " + e.getMessage(), null, e);
        }
        LOG.info("etcd unreachable: gave reserved {} to {} (journaled)", out, a.handle());
        return out;
    }

    private OfflineJournal.Reserved takeReserved(Family f) {
        for (Iterator<OfflineJournal.Reserved> it = journal.reserved.iterator(); it.hasNext(); ) {
            OfflineJournal.Reserved r = it.next();
            if (r.family() == f) {
                it.remove();
                return r;
            }
        }
        return null;
    }

    /** The address {@code handle} got offline in {@code f} and still holds, or null. */
    private Cidr offlineAddressOf(String handle, Family f) {
        Cidr found = null;
        for (OfflineJournal.Entry e : journal.pending) {
            if (e instanceof OfflineJournal.Assigned as && as.handle().equals(handle) && Family.of(as.address()) == f) {
                found = as.address();
            } else if (e instanceof OfflineJournal.Released r && r.handle().equals(handle)) {
                found = null;
            }
        }
        return found;
    }

    void release(String handle) throws IpamException {
        checkPodHandle(handle);
        if (online()) {
            try {
                allocator.release(handle);
                return;
            } catch (IpamException e) {
                if (!unreachable(e)) {
                    throw e;
                }
                wentOffline(e);
            }
        }
        journalRelease(handle);
    }

    private synchronized void journalRelease(String handle) throws IpamException {
        journal.pending.add(new OfflineJournal.Released(handle));
        try {
            journal.save();
        } catch (IOException e) {
            journal.pending.remove(journal.pending.size() - 1);
            throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "etcd is unreachable and the IPAM journal "
                    + journal.file() + " could not be written: " + e.getMessage(), null, e);
        }
        LOG.info("etcd unreachable: release of {} journaled", handle);
    }

    List<Cidr> check(String handle) throws IpamException {
        checkPodHandle(handle);
        if (!online()) {
            return checkOffline(handle);
        }
        List<Cidr> out = new ArrayList<>();
        for (Allocation a : allocator.addressesOf(handle)) {
            out.add(a.hostCidr());
        }
        if (out.isEmpty()) {
            throw new IpamException(CniErrorCodes.INTERNAL, "handle " + handle + " holds no address in etcd");
        }
        return out;
    }

    private synchronized List<Cidr> checkOffline(String handle) throws IpamException {
        List<Cidr> out = new ArrayList<>();
        for (Family f : Family.values()) {
            Cidr c = offlineAddressOf(handle, f);
            if (c != null) {
                out.add(c);
            }
        }
        if (out.isEmpty()) {
            throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "etcd is unreachable (" + offlineReason
                    + "); cannot check " + handle + " now");
        }
        return out;
    }

    /** Releases every handle of this node under {@code network} that is not valid; returns how many. */
    synchronized int gc(String network, Set<String> valid) throws IpamException {
        if (!online) {
            throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "etcd is unreachable (" + offlineReason
                    + "); GC waits until it is back");
        }
        String prefix = network + ".";
        int n = 0;
        for (String h : new TreeSet<>(allocator.handles())) {
            if (h.startsWith(prefix) && !h.startsWith(RESERVE_PREFIX) && !valid.contains(h)) {
                if (allocator.release(h)) {
                    LOG.info("GC released {} (not among the valid attachments of {})", h, network);
                    n++;
                }
            }
        }
        return n;
    }

    synchronized IpamResponse status() {
        StringBuilder info = new StringBuilder(online ? "etcd reachable" : "etcd unreachable (" + offlineReason + ")");
        boolean anyLeft = false;
        for (Family f : families) {
            int r = journal.reservedCount(f);
            anyLeft |= r > 0;
            info.append(", ").append(r).append(' ').append(f.keyName()).append(" in reserve");
        }
        info.append(", ").append(journal.pending.size()).append(" journaled");
        if (!online && !anyLeft) {
            return IpamResponse.error(new IpamException(CniErrorCodes.NOT_AVAILABLE_LIMITED_CONNECTIVITY, info.toString()));
        }
        return IpamResponse.ok(List.of(), info.toString());
    }

    // ---------------------------------------------------------------- etcd coming and going

    /**
     * Called periodically: while offline, tries etcd (reloading the node's blocks), replays the
     * journal and goes online; while online, tops the reserve up. The probe runs outside this
     * object's lock, so offline ADDs are not held up by a request to an etcd that is still gone.
     */
    void tick() {
        try {
            if (!online()) {
                allocator.reload(); // throws while etcd is unreachable
            }
            synchronized (this) {
                if (!online) {
                    replay();
                    adopt(); // a refill whose etcd request timed out may have been applied after all
                    online = true;
                    LOG.info("etcd is reachable again; the IPAM journal is replayed");
                }
                refill();
            }
            allocator.recheckBorrowed(); // an address released behind weftd's back stops being announced
        } catch (IpamException e) {
            if (unreachable(e)) {
                synchronized (this) {
                    goOffline(e);
                }
            } else {
                LOG.warn("block IPAM upkeep: {}", e.getMessage());
            }
        } catch (IOException e) {
            LOG.warn("writing the IPAM journal {}: {}", journal.file(), e.getMessage());
        }
    }

    /** Applies the journal to etcd in order, saving after each entry so a crash repeats at most one (harmlessly). */
    private void replay() throws IpamException, IOException {
        while (!journal.pending.isEmpty()) {
            OfflineJournal.Entry e = journal.pending.get(0);
            if (e instanceof OfflineJournal.Assigned a) {
                Attributes attrs = Attributes.of(a.containerId(), a.ifName(), a.namespace(), a.pod());
                allocator.transfer(a.reservation(), a.handle(), attrs);
                boolean holds = false;
                for (Allocation x : allocator.addressesOf(a.handle())) {
                    if (x.hostCidr().equals(a.address())) {
                        holds = true;
                    } else if (Family.of(x.address()) == Family.of(a.address().address())) {
                        // The pod uses the reserved address. Another one of its family is an allocation
                        // that timed out as etcd went away but was applied after all (or an earlier ADD's).
                        LOG.info("journal: {} also holds {}; releasing it, the pod uses {}", a.handle(), x.address(), a.address());
                        allocator.releaseAddress(a.handle(), x);
                    }
                }
                if (!holds) {
                    LOG.error("journal: reservation {} for {} ({}) is gone from etcd; the pod's address is not recorded",
                            a.reservation(), a.handle(), a.address());
                }
            } else if (e instanceof OfflineJournal.Released r) {
                allocator.release(r.handle());
            }
            journal.pending.remove(0);
            journal.save();
        }
    }

    /** Allocates reservation addresses (own blocks only) until each family has {@code reserve}. */
    private void refill() throws IpamException, IOException {
        for (Family f : families) {
            while (journal.reservedCount(f) < reserve) {
                String h = reservePrefix + journal.next++;
                journal.save(); // the number is used up even if weftd dies now; start() adopts the handle
                Allocation a;
                try {
                    a = allocator.allocate(h, new Attributes(Map.of("type", "weftd-reserve")), f);
                } catch (IpamException e) {
                    if (e.code() == CniErrorCodes.INTERNAL) {
                        break; // no address left: pods come first
                    }
                    throw e;
                }
                if (a.borrowed()) {
                    allocator.release(h); // a reserve in another node's block would be announced as a /32: not worth it
                    break;
                }
                journal.reserved.add(new OfflineJournal.Reserved(h, a.hostCidr()));
                journal.save();
            }
        }
    }

    private synchronized void wentOffline(IpamException e) {
        goOffline(e);
    }

    private void goOffline(IpamException e) {
        if (online) {
            LOG.warn("etcd is unreachable ({}); serving ADDs from the {} reserved address(es) and journaling to {}",
                    e.getMessage(), journal.reserved.size(), journal.file());
        }
        online = false;
        offlineReason = e.getMessage();
    }

    /** An etcd request that failed or timed out (not a lost compare-and-swap race). */
    private static boolean unreachable(IpamException e) {
        return e.code() == CniErrorCodes.TRY_AGAIN_LATER && e.getCause() != null;
    }

    private void checkPodHandle(String handle) {
        if (handle.startsWith(RESERVE_PREFIX)) {
            throw new IllegalArgumentException("handle " + handle + " is weftd's own reservation, not a pod's");
        }
    }
}
