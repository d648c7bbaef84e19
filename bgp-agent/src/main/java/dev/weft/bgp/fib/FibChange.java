package dev.weft.bgp.fib;

import dev.weft.net.Cidr;
import java.util.List;

/**
 * One change of what the kernel should hold for a prefix: the RIB's best-path change (new hop
 * list, or withdrawal) or an originated block's blackhole. The FIB keeps the last change per
 * prefix as its desired state.
 */
public sealed interface FibChange {
    Cidr prefix();

    /** Forward {@code prefix} over {@code hops}: one hop is a plain route, several an ECMP route. */
    record Install(Cidr prefix, List<NextHop> hops) implements FibChange {
        public Install {
            prefix = prefix.network();
            hops = List.copyOf(hops);
            if (hops.isEmpty()) {
                throw new IllegalArgumentException("no next hop for " + prefix + ": use Remove");
            }
        }
    }

    /** Drop traffic to {@code prefix} locally ({@code blackhole <block>}, as Calico does for its own blocks). */
    record Blackhole(Cidr prefix) implements FibChange {
        public Blackhole {
            prefix = prefix.network();
        }
    }

    /** Nothing for {@code prefix} any more: Weft's route goes, anyone else's stays. */
    record Remove(Cidr prefix) implements FibChange {
        public Remove {
            prefix = prefix.network();
        }
    }

    static FibChange install(Cidr prefix, List<NextHop> hops) {
        return new Install(prefix, hops);
    }

    static FibChange install(Cidr prefix, NextHop hop) {
        return new Install(prefix, List.of(hop));
    }

    static FibChange blackhole(Cidr prefix) {
        return new Blackhole(prefix);
    }

    static FibChange remove(Cidr prefix) {
        return new Remove(prefix);
    }
}
