package dev.weft.bgp.fib;

import dev.weft.libc.Errno;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.CidrMap;
import dev.weft.netlink.BatchFailure;
import dev.weft.netlink.Link;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtEvent;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BGP speaker's kernel routes: every route it installs carries rtm_protocol
 * {@value #BGP_PROTOCOL} ({@code proto weft-bgp} once {@link RtProtos} is installed), and that tag
 * is the whole notion of ownership. It keeps a desired state (prefix → next hops, or blackhole)
 * and programs the difference with pipelined netlink batches and replace semantics.
 *
 * <ul>
 *   <li><b>Ownership.</b> Only routes of its protocol in its table are replaced or deleted. A route
 *   of any other protocol (kernel, boot, static, bird = 12, Weft's flannel backends = 87) that holds
 *   the same key (prefix, table, metric) is never overwritten: a first install is sent with
 *   NLM_F_EXCL, as BIRD's kernel protocol adds its routes, and EEXIST makes the prefix a
 *   {@link FibProblem.Kind#CONFLICT} (logged once) until that route goes.</li>
 *   <li><b>Restart.</b> {@link #start} adopts the routes of its protocol that are still in the
 *   kernel (a previous run left them, like BIRD with {@code persist}): traffic keeps flowing while
 *   sessions come back. Re-announced ones are kept (rewritten only if they changed); after
 *   {@link #initialSyncDone()} the rest are deleted.</li>
 *   <li><b>Unreachable next hops</b> (ENETUNREACH, ENETDOWN, ENODEV …) stay desired and are retried
 *   when a link, address or foreign route changes: only those can change the kernel's answer, so
 *   events retry at once where a timer would retry late or in vain.</li>
 *   <li><b>Drift.</b> A route of its own that someone deletes is put back on the delete event (a
 *   resync: one dump of its own routes, filtered by protocol in the kernel); an overflowed event
 *   queue and a slow timer resync too.</li>
 * </ul>
 *
 * <p>While a next hop of an installed route becomes unusable, the old route stays until the new
 * one can be installed. An ECMP route is installed whole: one unusable hop holds back the set.
 */
public final class KernelFib implements AutoCloseable {
    /** rtm_protocol of the BGP speaker's routes; 87 is Weft's flannel backends (flanneld's RouteTag). */
    public static final int BGP_PROTOCOL = 88;
    /** How often the whole state is checked against the kernel when no event asked for it. */
    public static final Duration DEFAULT_RESYNC = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(KernelFib.class);
    /** The desired value of a blackholed prefix. */
    private static final List<NextHop> BLACKHOLE = List.of();

    private final Namespace ns;
    private final RtNetlink nl;
    private final int table;
    private final int protocol = BGP_PROTOCOL;
    private final int blackholeMetric;
    /**
     * Per prefix, what is wanted and what the kernel holds of ours ({@link FibEntry}); primitive-keyed
     * for IPv4 ({@link CidrMap}): a HashMap's lookups and rehashing were a quarter of the FIB
     * thread's samples during a full table (bench/bgp-ingest profile).
     */
    private final CidrMap<FibEntry> entries = new CidrMap<>();
    /** Entries with a wanted state, and with a route of ours in the kernel: status asks often. */
    private int desiredCount;
    private int installedCount;
    /** Adopted at start and not re-announced yet. */
    private final Set<Cidr> stale = new HashSet<>();
    private final Map<Cidr, FibProblem> problems = new HashMap<>();
    private FibWatcher watcher;
    /** Batches of {@link #applyInOrder} so far: the stamp that keeps a batch's entries distinct. */
    private int batches;

    private KernelFib(Namespace ns, int table, int blackholeMetric) {
        if (blackholeMetric < 0) {
            throw new IllegalArgumentException("blackhole metric must not be negative: " + blackholeMetric);
        }
        this.ns = ns;
        this.table = table;
        this.blackholeMetric = blackholeMetric;
        this.nl = ns.openNetlink();
    }

    /** A FIB for the main table of {@code ns}, adopting what is there, watching the kernel. */
    public static KernelFib start(Namespace ns) {
        return start(ns, Rt.RT_TABLE_MAIN, DEFAULT_RESYNC);
    }

    /**
     * A FIB for {@code table} of {@code ns}: adopts the routes of its protocol found there, then
     * watches links, addresses and routes; resyncs at least every {@code resyncEvery}.
     */
    public static KernelFib start(Namespace ns, int table, Duration resyncEvery) {
        return start(ns, table, resyncEvery, 0);
    }

    /** As {@link #start(Namespace, int, Duration)}, with blackhole routes at metric {@code blackholeMetric}. */
    public static KernelFib start(Namespace ns, int table, Duration resyncEvery, int blackholeMetric) {
        KernelFib fib = new KernelFib(ns, table, blackholeMetric);
        try {
            fib.adopt();
            fib.watcher = FibWatcher.start(fib, ns, resyncEvery);
            return fib;
        } catch (RuntimeException e) {
            fib.close();
            throw e;
        }
    }

    public int table() {
        return table;
    }

    private synchronized void adopt() {
        dumpOurs().forEach((p, r) -> setHave(entry(p), r));
        stale.addAll(entries.keys());
        if (!stale.isEmpty()) {
            LOG.info("adopted {} routes of protocol {} in table {} of {}; those not re-announced go after the initial sync",
                    stale.size(), protocol, table, ns);
        }
    }

    // ------------------------------------------------------------------------------- changes

    /** Forwards {@code prefix} over {@code hops} (one: a plain route; several: ECMP). */
    public List<FibProblem> install(Cidr prefix, List<NextHop> hops) {
        return apply(List.of(new FibChange.Install(prefix, hops)));
    }

    /** {@code blackhole <prefix>}, for a block this node originates. */
    public List<FibProblem> blackhole(Cidr prefix) {
        return apply(List.of(new FibChange.Blackhole(prefix)));
    }

    public List<FibProblem> remove(Cidr prefix) {
        return apply(List.of(new FibChange.Remove(prefix)));
    }

    /**
     * Applies changes in order (a later change of a prefix wins) as one pipelined batch. Returns
     * the prefixes that could not be programmed; they stay desired and are retried (see
     * {@link FibProblem}). A failure of one route never stops the others.
     */
    public synchronized List<FibProblem> apply(List<? extends FibChange> changes) {
        Set<Cidr> touched = new LinkedHashSet<>();
        for (FibChange c : changes) {
            desire(c);
            touched.add(c.prefix());
        }
        return programPrefixes(touched);
    }

    /**
     * As {@link #apply}, for {@link FibPump}'s batches: changes in the order they were made, a
     * prefix's later change winning. Each entry remembers the batch that last touched it, so a
     * prefix is programmed once without a set to make the batch distinct (which a full table paid
     * once per route).
     */
    synchronized List<FibProblem> applyInOrder(List<? extends FibChange> changes) {
        int stamp = ++batches;
        List<FibEntry> touched = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            FibEntry e = desire(changes.get(i));
            if (e != null && e.batch != stamp) {
                e.batch = stamp;
                touched.add(e);
            }
        }
        return program(touched);
    }

    /**
     * Records what {@code c} wants for its prefix; returns its entry, or null for a removal of a
     * prefix that has none (nothing wanted, nothing held: only a problem to forget).
     */
    private FibEntry desire(FibChange c) {
        Cidr p = c.prefix();
        if (!stale.isEmpty()) {
            stale.remove(p);
        }
        if (c instanceof FibChange.Install i) {
            FibEntry e = entry(p);
            setWant(e, i.hops());
            return e;
        } else if (c instanceof FibChange.Blackhole) {
            FibEntry e = entry(p);
            setWant(e, BLACKHOLE);
            return e;
        }
        FibEntry e = entries.get(p);
        if (e == null) {
            forgetProblem(p);
            return null;
        }
        setWant(e, null);
        return e;
    }

    /** The entry of {@code p}, made (empty) if it has none; the caller gives it a state. */
    private FibEntry entry(Cidr p) {
        return entries.computeIfAbsent(p, FibEntry::new);
    }

    private void setWant(FibEntry e, List<NextHop> want) {
        desiredCount += (want != null ? 1 : 0) - (e.want != null ? 1 : 0);
        e.want = want;
    }

    private void setHave(FibEntry e, Route have) {
        installedCount += (have != null ? 1 : 0) - (e.have != null ? 1 : 0);
        e.have = have;
    }

    /** Drops {@code e} from the map once it holds nothing. */
    private void dropIfEmpty(FibEntry e) {
        if (e.isEmpty()) {
            entries.remove(e.prefix);
        }
    }

    /**
     * Every session has sent End-of-RIB (or the wait timed out): adopted routes that no one
     * re-announced are deleted. Returns how many.
     */
    public synchronized int initialSyncDone() {
        List<Cidr> sweep = new ArrayList<>(stale);
        stale.clear();
        programPrefixes(sweep);
        if (!sweep.isEmpty()) {
            LOG.info("initial sync done: removed {} adopted routes no peer re-announced", sweep.size());
        }
        return sweep.size();
    }

    /** Deletes every route of Weft-BGP in the table and forgets the desired state (a withdrawal on shutdown). */
    public synchronized void clear() {
        for (FibEntry e : entries.values()) {
            setWant(e, null);
        }
        stale.clear();
        problems.clear();
        dumpOurs().forEach((p, r) -> setHave(entry(p), r));
        program(entries.values()); // a snapshot: program removes entries
    }

    /**
     * Reads its own routes back from the kernel and programs the difference: puts back what was
     * deleted or changed, deletes unwanted routes of its protocol, retries every problem.
     */
    public synchronized List<FibProblem> resync() {
        Map<Cidr, Route> now = dumpOurs();
        List<FibEntry> gone = new ArrayList<>();
        for (FibEntry e : entries.values()) {
            setHave(e, now.get(e.prefix));
            if (e.isEmpty()) {
                gone.add(e);
            }
        }
        gone.forEach(this::dropIfEmpty);
        now.forEach((p, r) -> setHave(entry(p), r));
        stale.retainAll(now.keySet());
        // what is wanted, and routes of ours that nothing wants (adopted ones wait for the sweep)
        List<FibEntry> touched = new ArrayList<>();
        for (FibEntry e : entries.values()) {
            if (e.want != null || !stale.contains(e.prefix)) {
                touched.add(e);
            }
        }
        return program(touched);
    }

    // --------------------------------------------------------------------------------- state

    public synchronized FibStatus status() {
        int unreachable = 0;
        int conflicts = 0;
        int failed = 0;
        for (FibProblem p : problems.values()) {
            switch (p.kind()) {
                case UNREACHABLE -> unreachable++;
                case CONFLICT -> conflicts++;
                default -> failed++;
            }
        }
        return new FibStatus(desiredCount, installedCount, stale.size(), unreachable, conflicts, failed);
    }

    /** The problems now outstanding, for status output. */
    public synchronized List<FibProblem> problems() {
        return List.copyOf(problems.values());
    }

    /** What the FIB wants for {@code prefix}: its hops, an empty list for a blackhole, or empty. */
    public synchronized Optional<List<NextHop>> desired(Cidr prefix) {
        FibEntry e = entries.get(prefix.network());
        return Optional.ofNullable(e == null ? null : e.want);
    }

    // ------------------------------------------------------------------------ kernel events

    /**
     * Called by the watcher with a burst of kernel events: decides whether to retry unreachable
     * prefixes, conflicts whose foreign route went, or resync because a route of ours vanished.
     */
    synchronized void onEvents(List<RtEvent> events) {
        boolean resync = false;
        boolean reachabilityChanged = false;
        Set<Cidr> freed = new LinkedHashSet<>();
        for (RtEvent e : events) {
            if (e instanceof RtEvent.RouteChange rc) {
                Route r = rc.route();
                if (r.table() != table) {
                    continue;
                }
                if (r.protocol() == protocol) {
                    if (rc.removed() && !resync) {
                        FibEntry held = entries.get(r.dst());
                        resync = held != null && held.have != null;
                    }
                } else if (rc.removed()) {
                    FibProblem p = problems.get(r.dst());
                    if (p != null && p.kind() == FibProblem.Kind.CONFLICT) {
                        freed.add(r.dst());
                    }
                } else {
                    reachabilityChanged = true;
                }
            } else if (e instanceof RtEvent.Overflow) {
                resync = true;
            } else if (e instanceof RtEvent.LinkChange || e instanceof RtEvent.AddressChange) {
                reachabilityChanged = true;
            }
        }
        if (resync) {
            LOG.info("kernel routes of protocol {} changed under us (or events were lost): resyncing", protocol);
            resync();
            return;
        }
        if (reachabilityChanged) {
            for (FibProblem p : problems.values()) {
                if (p.kind() == FibProblem.Kind.UNREACHABLE) {
                    freed.add(p.prefix());
                }
            }
        }
        if (!freed.isEmpty()) {
            programPrefixes(freed);
        }
    }

    // ------------------------------------------------------------------------------ program

    /** {@link #program} for prefixes; one without an entry only has its problem forgotten. */
    private List<FibProblem> programPrefixes(Collection<Cidr> prefixes) {
        List<FibEntry> touched = new ArrayList<>(prefixes.size());
        for (Cidr p : prefixes) {
            FibEntry e = entries.get(p);
            if (e == null) {
                forgetProblem(p);
            } else {
                touched.add(e);
            }
        }
        return program(touched);
    }

    /** Brings the kernel to the desired state for {@code touched} (distinct entries) in one batch. */
    private List<FibProblem> program(List<FibEntry> touched) {
        RtNetlink.Batch batch = nl.batch();
        // the queued requests in batch order: the prefix, and the route for an install or null for
        // a delete (two arrays rather than a record per route: a full table's batches hold 100,000)
        FibEntry[] opEntry = new FibEntry[touched.size()];
        Route[] opRoute = new Route[touched.size()];
        int ops = 0;
        List<FibProblem> out = new ArrayList<>();
        Map<String, Integer> devices = new HashMap<>();
        for (int t = 0; t < touched.size(); t++) {
            FibEntry e = touched.get(t);
            Cidr p = e.prefix;
            List<NextHop> want = e.want;
            Route have = e.have;
            if (want == null) {
                forgetProblem(p);
                if (have != null && !stale.contains(p)) {
                    batch.deleteRoute(RouteShape.ours(p, have.type(), table, protocol));
                    opEntry[ops++] = e;
                } else if (have == null) {
                    entries.remove(p);
                }
                continue;
            }
            List<NextHop> hops = want == BLACKHOLE ? null : resolve(want, devices);
            if (want != BLACKHOLE && hops == null) {
                out.add(fail(p, Errno.ENODEV, "install " + p + " " + want + ": no such device"));
                continue;
            }
            Route r = RouteShape.build(p, hops, table, protocol);
            if (hops == null && blackholeMetric != 0) {
                r = r.withPriority(blackholeMetric);
            }
            if (have != null && RouteShape.same(have, r)) {
                forgetProblem(p);
                continue;
            }
            if (have != null) {
                batch.replaceRoute(r);
            } else {
                batch.addRoute(r); // NLM_F_EXCL: a foreign route with this key answers EEXIST
            }
            opEntry[ops] = e;
            opRoute[ops++] = r;
        }
        if (ops == 0) {
            return out;
        }
        List<BatchFailure> failed = batch.execute();
        Map<Integer, BatchFailure> failures = failed.isEmpty() ? Map.of() : new HashMap<>();
        for (BatchFailure f : failed) {
            failures.put(f.index(), f);
        }
        for (int i = 0; i < ops; i++) {
            FibEntry e = opEntry[i];
            Cidr p = e.prefix;
            Route r = opRoute[i];
            BatchFailure f = failures.isEmpty() ? null : failures.get(i); // no boxing per route
            if (r == null) {
                if (f == null || f.error().isNotFound()) {
                    setHave(e, null);
                    dropIfEmpty(e);
                } else {
                    LOG.warn("could not delete {}: {}", p, f.error().getMessage());
                }
            } else if (f == null) {
                setHave(e, r);
                forgetProblem(p);
            } else {
                NetlinkException err = f.error();
                out.add(fail(p, err.errno(), err.getMessage()));
            }
        }
        return out;
    }

    /** Forgets a problem of the prefix; asks the map only when there are problems (a hash per route otherwise). */
    private void forgetProblem(Cidr p) {
        if (!problems.isEmpty()) {
            problems.remove(p);
        }
    }

    private FibProblem fail(Cidr prefix, Errno errno, String detail) {
        FibProblem p = new FibProblem(prefix, FibProblem.classify(errno), errno, detail);
        FibProblem before = problems.put(prefix, p);
        if (before == null || before.kind() != p.kind()) {
            switch (p.kind()) {
                case CONFLICT -> LOG.warn("{}: a route of another protocol holds it; left alone until it goes", prefix);
                case UNREACHABLE -> LOG.info("{}: next hop not usable yet ({}); retried when links or addresses change",
                        prefix, errno.name());
                default -> LOG.warn("{}: {}", prefix, detail);
            }
        }
        return p;
    }

    /** The hops with device names turned into indexes, or null when a device is missing. */
    private List<NextHop> resolve(List<NextHop> hops, Map<String, Integer> cache) {
        List<NextHop> out = null;
        for (int i = 0; i < hops.size(); i++) {
            NextHop h = hops.get(i);
            if (h.device() == null) {
                continue;
            }
            Integer index = cache.computeIfAbsent(h.device(), name -> nl.link(name).map(Link::index).orElse(0));
            if (index == 0) {
                return null;
            }
            if (out == null) {
                out = new ArrayList<>(hops);
            }
            out.set(i, h.dev(index));
        }
        return out == null ? hops : out;
    }

    private Map<Cidr, Route> dumpOurs() {
        Map<Cidr, Route> m = new HashMap<>();
        for (int family : new int[] {Linux.AF_INET, Linux.AF_INET6}) {
            for (Route r : nl.routes(family, table, protocol)) {
                m.put(r.dst(), r);
            }
        }
        return m;
    }

    /** Stops watching; the routes stay in the kernel for the next start to adopt. */
    @Override
    public void close() {
        if (watcher != null) {
            watcher.close();
        }
        synchronized (this) {
            nl.close();
        }
    }
}
