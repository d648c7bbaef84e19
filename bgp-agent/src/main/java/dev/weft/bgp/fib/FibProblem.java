package dev.weft.bgp.fib;

import dev.weft.libc.Errno;
import dev.weft.net.Cidr;

/**
 * A prefix the FIB could not program as desired. It stays desired and is tried again: an
 * unreachable one when a link, address or route changes, a conflict when the other route goes,
 * anything else at the next resync.
 *
 * @param errno  what the kernel answered
 * @param detail the request and the kernel's text
 */
public record FibProblem(Cidr prefix, Kind kind, Errno errno, String detail) {

    public enum Kind {
        /** The next hop (or its device) is not usable yet: ENETUNREACH, EHOSTUNREACH, ENETDOWN, ENODEV. */
        UNREACHABLE,
        /** Another protocol's route holds the prefix (same table and metric); it is never overwritten. */
        CONFLICT,
        /** Any other refusal. */
        FAILED
    }

    static Kind classify(Errno e) {
        return switch (e) {
            case ENETUNREACH, EHOSTUNREACH, ENETDOWN, ENODEV -> Kind.UNREACHABLE;
            case EEXIST -> Kind.CONFLICT;
            default -> Kind.FAILED;
        };
    }
}
