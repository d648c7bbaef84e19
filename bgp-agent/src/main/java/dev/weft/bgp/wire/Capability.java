package dev.weft.bgp.wire;

import java.util.List;
import java.util.Objects;

/** A capability of an OPEN (RFC 5492). Codes the speaker does not know are kept as {@link Unknown}. */
public sealed interface Capability {
    int code();

    /** Multiprotocol extensions (code 1, RFC 4760); AFI and SAFI as sent. */
    record Multiprotocol(int afi, int safi) implements Capability {
        public static Multiprotocol of(Family f) {
            return new Multiprotocol(f.afi(), f.safi());
        }

        public int code() {
            return 1;
        }
    }

    /** Route refresh (RFC 2918): code 2, or the pre-standard code 128 that FRR also sends. */
    record RouteRefresh(boolean preStandard) implements Capability {
        public int code() {
            return preStandard ? 128 : 2;
        }
    }

    /** Extended next hop (code 5, RFC 8950). */
    record ExtendedNextHop(List<Entry> entries) implements Capability {
        public record Entry(int afi, int safi, int nextHopAfi) {}

        public ExtendedNextHop {
            entries = List.copyOf(entries);
        }

        public int code() {
            return 5;
        }
    }

    /** Extended message (code 6, RFC 8654): messages up to 65535 octets once both sides send it. */
    record ExtendedMessage() implements Capability {
        public int code() {
            return 6;
        }
    }

    /**
     * Graceful restart (code 64, RFC 4724; N bit RFC 8538). No families means "helper only".
     *
     * @param restartTime seconds, 12 bits
     */
    record GracefulRestart(boolean restarting, boolean notification, int restartTime, List<Entry> families)
            implements Capability {
        /** @param forwardingPreserved the F bit: the sender kept its forwarding state for this family */
        public record Entry(int afi, int safi, boolean forwardingPreserved) {}

        public GracefulRestart {
            families = List.copyOf(families);
        }

        public int code() {
            return 64;
        }
    }

    /** Support for 4-octet AS numbers (code 65, RFC 6793), carrying the real AS. */
    record FourOctetAs(long as) implements Capability {
        public int code() {
            return 65;
        }
    }

    /** ADD-PATH (code 69, RFC 7911). */
    record AddPath(List<Entry> entries) implements Capability {
        public static final int RECEIVE = 1;
        public static final int SEND = 2;
        public static final int BOTH = 3;

        public record Entry(int afi, int safi, int sendReceive) {}

        public AddPath {
            entries = List.copyOf(entries);
        }

        public int code() {
            return 69;
        }
    }

    /** Enhanced route refresh (code 70, RFC 7313). */
    record EnhancedRouteRefresh() implements Capability {
        public int code() {
            return 70;
        }
    }

    /** Hostname (code 73, draft-walton-bgp-hostname-capability), as GoBGP and FRR send it. */
    record Fqdn(String hostname, String domain) implements Capability {
        public Fqdn {
            Objects.requireNonNull(hostname);
            Objects.requireNonNull(domain);
        }

        public int code() {
            return 73;
        }
    }

    /** Any other capability, e.g. long-lived GR (71): kept as sent and otherwise ignored. */
    record Unknown(int code, Octets value) implements Capability {}
}
