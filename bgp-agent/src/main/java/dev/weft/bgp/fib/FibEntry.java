package dev.weft.bgp.fib;

import dev.weft.net.Cidr;
import dev.weft.netlink.Route;
import java.util.List;

/**
 * One prefix of {@link KernelFib}: what is wanted for it and our route the kernel holds, in one
 * object under one map key. A full table's install then looks its prefix up once (two maps, one
 * for each, took four lookups and two map entries per route: bench/bgp-ingest). An entry with
 * neither is removed from the map. Mutable; only KernelFib touches it, under its lock.
 */
final class FibEntry {
    final Cidr prefix;
    /** The next hops wanted, {@link KernelFib}'s blackhole marker, or null for nothing. */
    List<NextHop> want;
    /** Our route in the kernel as far as we know (installed or adopted), or null for none. */
    Route have;
    /** The number of the last {@link KernelFib#applyInOrder} batch that touched it (once per batch). */
    int batch;

    FibEntry(Cidr prefix) {
        this.prefix = prefix;
    }

    boolean isEmpty() {
        return want == null && have == null;
    }
}
