package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * host-local IPAM, in process: the reference plugin's ADD, DEL and CHECK over the same store,
 * plus the GC and STATUS the reference does not have yet.
 *
 * <p><b>Locking.</b> Each call holds the store's flock for its whole duration (the reference
 * takes it once per range set). One hold is strictly safer: nobody can slip in between a
 * container's IPv4 and IPv6 reservation, and a rollback sees exactly the files this call made.
 * Holds are milliseconds. STATUS reads without the lock: it is informational and must not queue
 * behind ADDs.
 *
 * <p><b>Error codes.</b> 7 for config and CNI_ARGS errors (including a requested address that is
 * a gateway or fits no range set), 1 for a cniVersion that cannot carry two addresses of a family,
 * 5 for store I/O, 11 when a requested address is held by someone else (it may be mid-release),
 * 999 for exhaustion, duplicate allocation and a failed CHECK (as the reference, whose every error
 * is 999), 50 from STATUS. Messages are the reference's wherever it has one.
 *
 * <p><b>Corrupt stores.</b> A file named by an address is a reservation whatever it holds, so
 * junk or an empty file keeps that address reserved (as in the reference) until DEL matches it
 * or GC finds no valid owner for it. Files whose names are not addresses are not reservations:
 * never matched by DEL or CHECK, never counted by STATUS, never deleted by GC (reported
 * instead). A directory or symlink named like an address still occupies that address (O_EXCL
 * fails on it) but is never read or deleted. A junk {@code last_reserved_ip.N} only restarts the
 * walk at the first address.
 */
public final class HostLocalAllocator {
    private final Consumer<String> log;

    /** Logs to stderr (stdout belongs to the CNI protocol). */
    public HostLocalAllocator() {
        this(HostLocalAllocator::stderr);
    }

    public HostLocalAllocator(Consumer<String> log) {
        this.log = log;
    }

    private static void stderr(String line) {
        System.err.println("host-local: " + line);
    }

    // ---------------------------------------------------------------- ADD

    /** ADD: one address per range set, in range-set order. */
    public List<Allocation> allocate(IpamRequest req) throws IpamException {
        return allocate(req, HostLocalConfig.parse(req.stdinConfig(), req.cniArgs()));
    }

    /** ADD with a config the caller already parsed (it needs routes and DNS for the result too). */
    public List<Allocation> allocate(IpamRequest req, HostLocalConfig cfg) throws IpamException {
        HostLocalStore store = HostLocalStore.open(cfg.dataDir(), req.networkFor(cfg), log);
        String id = req.containerId();
        String ifname = req.ifname();
        return store.underLock(() -> {
            List<Allocation> out = new ArrayList<>();
            Set<IpAddress> requested = new LinkedHashSet<>(cfg.requestedIps());
            boolean complete = false;
            try {
                for (int i = 0; i < cfg.rangeSets().size(); i++) {
                    RangeSet set = cfg.rangeSets().get(i);
                    IpAddress wanted = takeFirstIn(requested, set);
                    try {
                        out.add(allocateIn(store, set, i, id, ifname, wanted));
                    } catch (IpamException e) {
                        throw e.prefixed("failed to allocate for range " + i + ": ");
                    }
                }
                if (!requested.isEmpty()) {
                    throw new IpamException(IpamException.INVALID_CONFIG, "failed to allocate all requested IPs: "
                            + requested.stream().map(IpAddress::toString).collect(Collectors.joining(" ")));
                }
                complete = true;
                return out;
            } finally {
                if (!complete) {
                    rollback(store, out);
                }
            }
        });
    }

    /** Removes a requested address that falls in this set (the first, in request order). */
    private static IpAddress takeFirstIn(Set<IpAddress> requested, RangeSet set) {
        for (Iterator<IpAddress> it = requested.iterator(); it.hasNext(); ) {
            IpAddress ip = it.next();
            if (set.contains(ip)) {
                it.remove();
                return ip;
            }
        }
        return null;
    }

    private Allocation allocateIn(HostLocalStore store, RangeSet set, int index, String id, String ifname,
                                  IpAddress wanted) throws IpamException {
        if (wanted != null) {
            IpRange r = set.rangeFor(wanted).orElseThrow();
            if (wanted.equals(r.gateway())) {
                throw new IpamException(IpamException.INVALID_CONFIG, "requested ip " + wanted + " is subnet's gateway");
            }
            if (!store.reserve(id, ifname, wanted, index)) {
                throw new IpamException(IpamException.TRY_AGAIN_LATER,
                        "requested IP address " + wanted + " is not available in range set " + set);
            }
            return new Allocation(Cidr.of(wanted, r.subnet().prefixLength()), r.gateway(), index);
        }
        // The spec forbids a second ADD for the same attachment without a DEL; refuse it per set.
        for (Reservation res : store.list().reservations()) {
            if (res.isAddress() && (res.heldBy(id, ifname) || res.heldByLegacy(id)) && set.contains(res.ip())) {
                throw new IpamException(IpamException.INTERNAL,
                        res.ip() + " has been allocated to " + id + ", duplicate allocation is not allowed");
            }
        }
        RangeIterator walk = new RangeIterator(set, store.lastReservedIp(index).orElse(null));
        for (RangeIterator.Candidate c = walk.next(); c != null; c = walk.next()) {
            if (store.reserve(id, ifname, c.ip(), index)) {
                return new Allocation(Cidr.of(c.ip(), c.range().subnet().prefixLength()), c.range().gateway(), index);
            }
        }
        throw new IpamException(IpamException.INTERNAL, "no IP addresses available in range set: " + set);
    }

    /** Undoes exactly this call's reservations (the reference releases every file of the attachment). */
    private void rollback(HostLocalStore store, List<Allocation> made) {
        for (Allocation a : made) {
            try {
                store.remove(a.address().address().toString());
            } catch (IpamException e) {
                log.accept("rollback: " + e.msg());
            }
        }
    }

    // ---------------------------------------------------------------- DEL

    /**
     * DEL: removes every reservation holding {@code id\r\nifname}; if there is none, every legacy
     * one holding just {@code id}; and any empty one (crash debris, see below). Nothing to release
     * is success. Only files named by an address
     * count (the reference would also delete, say, a {@code notes.txt} holding the same text).
     *
     * <p>Only the store location is taken from the config, so a config whose ranges no longer
     * validate (or a CNI_ARGS the parser rejects) cannot strand reservations; the {@code ipam} key
     * itself is still required, since without it there is no telling which store was meant.
     */
    public void release(IpamRequest req) throws IpamException {
        HostLocalConfig.StoreLocation where;
        try {
            HostLocalConfig cfg = HostLocalConfig.parse(req.stdinConfig(), req.cniArgs());
            where = new HostLocalConfig.StoreLocation(cfg.dataDir(), req.networkFor(cfg));
        } catch (IpamException e) {
            where = HostLocalConfig.locate(req.stdinConfig()); // rethrows a missing 'ipam' key
            log.accept("DEL for " + req.containerId() + " proceeds despite an invalid config: " + e.msg());
            if (req.networkName() != null) {
                where = new HostLocalConfig.StoreLocation(where.dataDir(), req.networkName());
            }
        }
        Optional<HostLocalStore> opened = HostLocalStore.openExisting(where.dataDir(), where.name(), log);
        if (opened.isEmpty()) {
            return;
        }
        HostLocalStore store = opened.get();
        List<String> errors = new ArrayList<>();
        store.underLock(() -> {
            store.removeCrashLeftovers();
            HostLocalStore.Listing listing = store.list();
            listing.errors().forEach(log);
            // Loops, not streams: this runs once per CNI DEL, in a JVM that pays for every first use.
            List<Reservation> mine = new ArrayList<>();
            List<Reservation> legacy = new ArrayList<>();
            List<Reservation> empty = new ArrayList<>();
            for (Reservation r : listing.reservations()) {
                if (r.isAddress() && r.heldBy(req.containerId(), req.ifname())) {
                    mine.add(r);
                } else if (r.isAddress() && r.heldByLegacy(req.containerId())) {
                    legacy.add(r);
                } else if (r.isAddress() && "".equals(r.owner())) {
                    empty.add(r);
                }
            }
            if (mine.isEmpty()) {
                mine = legacy;
            }
            for (Reservation r : mine) {
                try {
                    store.remove(r.fileName());
                } catch (IpamException e) {
                    errors.add(e.msg());
                }
            }
            // A zero-length reservation is what an ADD killed between creating its file and writing
            // it leaves. Every writer (the reference's too) holds the lock for both steps, so none
            // is in progress now: nobody owns it, and no DEL could ever match it. Reclaim it here
            // rather than wait for a GC the runtime may never send.
            for (Reservation r : empty) {
                try {
                    if (store.remove(r.fileName())) {
                        log.accept("DEL reclaimed the empty reservation " + r.fileName() + " left by an interrupted ADD");
                    }
                } catch (IpamException e) {
                    errors.add(e.msg());
                }
            }
            return null;
        });
        if (!errors.isEmpty()) {
            throw new IpamException(IpamException.IO_FAILURE, String.join(";", errors));
        }
    }

    // ---------------------------------------------------------------- CHECK

    /** CHECK: succeeds iff some reservation holds this attachment (or, legacy, this container). */
    public void check(IpamRequest req) throws IpamException {
        HostLocalConfig cfg = HostLocalConfig.parse(req.stdinConfig(), req.cniArgs());
        Optional<HostLocalStore> opened = HostLocalStore.openExisting(cfg.dataDir(), req.networkFor(cfg), log);
        boolean found = opened.isPresent() && opened.get().underLock(() -> {
            List<Reservation> all = opened.get().list().reservations().stream()
                    .filter(Reservation::isAddress).toList();
            return all.stream().anyMatch(r -> r.heldBy(req.containerId(), req.ifname()))
                    || all.stream().anyMatch(r -> r.heldByLegacy(req.containerId()));
        });
        if (!found) {
            throw new IpamException(IpamException.INTERNAL,
                    "host-local: Failed to find address added by container " + req.containerId());
        }
    }

    // ---------------------------------------------------------------- GC

    /**
     * GC: under the lock, deletes every reservation no valid attachment owns. A legacy (ID-only)
     * file is owned when any attachment has that container ID. A null {@code valid} means the
     * request carried no list, which the spec reads as "nothing is valid": everything goes, and
     * that is logged loudly. Continues past failures; see {@link GcReport#throwIfFailed()}.
     *
     * @param networkName the store directory; null means {@code cfg.name()}
     */
    public GcReport gc(String networkName, HostLocalConfig cfg, Set<Attachment> valid) throws IpamException {
        String network = networkName != null ? networkName : cfg.name();
        Optional<HostLocalStore> opened = HostLocalStore.openExisting(cfg.dataDir(), network, log);
        Path dir = HostLocalStore.networkDir(cfg.dataDir(), network);
        if (valid == null) {
            log.accept("WARNING: GC of network \"" + network + "\" got no " + Attachment.KEY
                    + " list: treating every attachment as gone and releasing ALL reservations in " + dir);
        }
        Set<String> liveContents = new HashSet<>();
        Set<String> liveIds = new HashSet<>();
        for (Attachment a : valid == null ? Set.<Attachment>of() : valid) {
            liveContents.add(Reservation.contentFor(a.containerId(), a.ifname()));
            liveIds.add(GoText.trimSpace(a.containerId()));
        }
        if (opened.isEmpty()) {
            return new GcReport(List.of(), List.of(), List.of());
        }
        HostLocalStore store = opened.get();
        List<Reservation> released = new ArrayList<>();
        List<SkippedEntry> skipped = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        store.underLock(() -> {
            store.removeCrashLeftovers();
            HostLocalStore.Listing listing = store.list();
            skipped.addAll(listing.skipped());
            errors.addAll(listing.errors());
            for (Reservation r : listing.reservations()) {
                if (!r.isAddress()) {
                    skipped.add(new SkippedEntry(r.fileName(), "name is not an IP address, so not a reservation"));
                    continue;
                }
                boolean live = r.owner() != null
                        && (r.isLegacy() ? liveIds.contains(r.owner()) : liveContents.contains(r.owner()));
                if (live) {
                    continue;
                }
                try {
                    store.remove(r.fileName());
                    released.add(r);
                } catch (IpamException e) {
                    errors.add(e.msg());
                }
            }
            return null;
        });
        for (Reservation r : released) {
            log.accept("GC released " + r.fileName() + " of network \"" + network + "\" (held by "
                    + describeOwner(r) + ")");
        }
        for (SkippedEntry s : skipped) {
            log.accept("GC left " + dir.resolve(s.fileName()) + " alone: " + s.reason());
        }
        errors.forEach(e -> log.accept("GC error: " + e));
        return new GcReport(released, skipped, errors);
    }

    private static String describeOwner(Reservation r) {
        if (r.owner() == null) {
            return "an oversized file";
        }
        return r.isLegacy() ? "legacy id \"" + r.owner() + "\""
                : "\"" + r.containerId() + "\" on \"" + r.ifname() + "\"";
    }

    // ---------------------------------------------------------------- STATUS

    /**
     * STATUS: returns when ADD can be served, else throws code 50. ADD needs one address from every
     * range set, so a single full set is enough to fail (with one set, "full" and "every set full"
     * coincide). Also fails when the store directory cannot be created or written, or the
     * configured resolvConf cannot be read, since ADD would fail on those too.
     */
    public void status(HostLocalConfig cfg) throws IpamException {
        Optional<String> unwritable;
        try {
            unwritable = HostLocalStore.unwritableReason(cfg.dataDir(), cfg.name());
        } catch (IllegalArgumentException e) {
            throw new IpamException(IpamException.NOT_AVAILABLE, e.getMessage());
        }
        if (unwritable.isPresent()) {
            throw new IpamException(IpamException.NOT_AVAILABLE,
                    "host-local data directory " + cfg.networkDir() + " is not usable: " + unwritable.get());
        }
        if (cfg.resolvConf() != null && !Files.isReadable(Path.of(cfg.resolvConf()))) {
            throw new IpamException(IpamException.NOT_AVAILABLE, "resolvConf " + cfg.resolvConf() + " is not readable");
        }
        Optional<HostLocalStore> opened = HostLocalStore.openExisting(cfg.dataDir(), cfg.name(), log);
        if (opened.isEmpty()) {
            return;
        }
        List<Reservation> all = opened.get().list().reservations();
        List<String> full = new ArrayList<>();
        for (int i = 0; i < cfg.rangeSets().size(); i++) {
            RangeSet set = cfg.rangeSets().get(i);
            long used = all.stream().filter(r -> r.isAddress() && isCandidate(set, r.ip())).count();
            if (java.math.BigInteger.valueOf(used).compareTo(set.capacity()) >= 0) {
                full.add("range set " + i + " (" + set + ")");
            }
        }
        if (!full.isEmpty()) {
            throw new IpamException(IpamException.NOT_AVAILABLE,
                    "no IP addresses available in " + String.join(", ", full),
                    "every address is reserved under " + cfg.networkDir()
                            + "; release stale reservations (DEL or GC) or widen the range");
        }
    }

    /** Whether the allocator could hand out ip from this set: inside a range and not its gateway. */
    private static boolean isCandidate(RangeSet set, IpAddress ip) {
        return set.rangeFor(ip).map(r -> !ip.equals(r.gateway())).orElse(false);
    }
}
