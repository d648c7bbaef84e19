package dev.weft.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A veth pair whose ends land directly in the given namespaces (null = root namespace; a root-side
 * name must start with {@code wt-}). Both ends are brought up; addresses are optional.
 * {@link #close()} deletes the pair (tolerating it being gone, e.g. because a namespace was deleted).
 *
 * <pre>{@code
 * try (TestNetns a = TestNetns.create(); TestNetns b = TestNetns.create();
 *      VethPair v = VethPair.builder().a("eth0", a).b("eth0", b)
 *              .addressA("10.1.0.1/24").addressB("10.1.0.2/24").create()) {
 *     a.exec("ping", "-c1", "-W1", "10.1.0.2");
 * }
 * }</pre>
 */
public final class VethPair implements AutoCloseable {

    /** One end: interface name, namespace (null = root), address in CIDR notation (or null). */
    public record End(String name, String netns, String address) {
        /** The address without prefix length, or null. */
        public String ip() {
            return address == null ? null : address.substring(0, address.indexOf('/'));
        }
    }

    private final End a;
    private final End b;
    private volatile boolean closed;

    private VethPair(End a, End b) {
        this.a = a;
        this.b = b;
    }

    /** Creates and brings up {@code nameA}@{@code nsA} &lt;-&gt; {@code nameB}@{@code nsB}, no addresses. */
    public static VethPair create(String nameA, String nsA, String nameB, String nsB) {
        return builder().a(nameA, nsA).b(nameB, nsB).create();
    }

    public static Builder builder() {
        return new Builder();
    }

    public End a() {
        return a;
    }

    public End b() {
        return b;
    }

    public static final class Builder {
        private String nameA;
        private String nsA;
        private String nameB;
        private String nsB;
        private String addrA;
        private String addrB;
        private Integer mtu;
        private boolean up = true;
        private boolean aSet;
        private boolean bSet;

        private Builder() {}

        public Builder a(String name, String netns) {
            this.nameA = name;
            this.nsA = netns;
            this.aSet = true;
            return this;
        }

        public Builder a(String name, TestNetns netns) {
            return a(name, netns == null ? null : netns.name());
        }

        public Builder b(String name, String netns) {
            this.nameB = name;
            this.nsB = netns;
            this.bSet = true;
            return this;
        }

        public Builder b(String name, TestNetns netns) {
            return b(name, netns == null ? null : netns.name());
        }

        /** e.g. "10.1.0.1/24" or "fd00::1/64" (IPv6 is added with nodad so it is usable at once). */
        public Builder addressA(String cidr) {
            this.addrA = cidr;
            return this;
        }

        public Builder addressB(String cidr) {
            this.addrB = cidr;
            return this;
        }

        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        /** Bring both ends up (default true). */
        public Builder up(boolean up) {
            this.up = up;
            return this;
        }

        public VethPair create() {
            if (!aSet || !bSet) {
                throw new IllegalStateException("both ends must be given");
            }
            Names.requireIfname(nameA);
            Names.requireIfname(nameB);
            if (nsA == null) {
                Names.requirePrefixed("root-namespace link", nameA);
            }
            if (nsB == null) {
                Names.requirePrefixed("root-namespace link", nameB);
            }
            requireCidr(addrA);
            requireCidr(addrB);
            Tools.requireKernelTestPrerequisites();

            List<String> cmd = new ArrayList<>(List.of("ip", "link", "add", nameA));
            if (nsA != null) {
                cmd.addAll(List.of("netns", nsA));
            }
            if (mtu != null) {
                cmd.addAll(List.of("mtu", mtu.toString()));
            }
            cmd.addAll(List.of("type", "veth", "peer", "name", nameB));
            if (nsB != null) {
                cmd.addAll(List.of("netns", nsB));
            }
            if (mtu != null) {
                cmd.addAll(List.of("mtu", mtu.toString()));
            }
            // claim root-namespace names before creating them: see Cleanup
            if (nsA == null) {
                Cleanup.rootLinkCreated(nameA);
            }
            if (nsB == null) {
                Cleanup.rootLinkCreated(nameB);
            }
            try {
                Cmd.run(cmd);
            } catch (RuntimeException e) {
                Cleanup.rootLinkRemoved(nameA);
                Cleanup.rootLinkRemoved(nameB);
                throw e;
            }
            VethPair pair = new VethPair(new End(nameA, nsA, addrA), new End(nameB, nsB, addrB));
            try {
                configure(pair.a, up);
                configure(pair.b, up);
            } catch (RuntimeException e) {
                try {
                    pair.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return pair;
        }

        private static void requireCidr(String cidr) {
            if (cidr != null && !cidr.contains("/")) {
                throw new IllegalArgumentException("address must be in CIDR notation (a.b.c.d/len): " + cidr);
            }
        }

        private static void configure(End e, boolean up) {
            if (e.address() != null) {
                if (e.address().contains(":")) {
                    Cmd.run(ipIn(e.netns(), "addr", "add", e.address(), "dev", e.name(), "nodad"));
                } else {
                    Cmd.run(ipIn(e.netns(), "addr", "add", e.address(), "dev", e.name()));
                }
            }
            if (up) {
                Cmd.run(ipIn(e.netns(), "link", "set", e.name(), "up"));
            }
        }
    }

    static List<String> ipIn(String ns, String... args) {
        List<String> l = new ArrayList<>();
        l.add("ip");
        if (ns != null) {
            l.add("-n");
            l.add(ns);
        }
        l.addAll(List.of(args));
        return l;
    }

    /** Deletes the pair (deleting one end removes both). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException failure = null;
        for (End e : List.of(a, b)) {
            Cmd.Result r = Cmd.tryRun(Duration.ofSeconds(10), ipIn(e.netns(), "link", "del", "dev", e.name())
                    .toArray(new String[0]));
            if (r.ok()) {
                failure = null;  // deleting one end removes the peer too
                break;
            }
            String err = r.stderr();
            boolean gone = err.contains("Cannot find device") || err.contains("does not exist")
                    || err.contains("Cannot open network namespace") || err.contains("No such file");
            if (!gone && failure == null) {
                failure = new CmdException(r);
            }
        }
        if (a.netns() == null) {
            Cleanup.rootLinkRemoved(a.name());
        }
        if (b.netns() == null) {
            Cleanup.rootLinkRemoved(b.name());
        }
        closed = true;
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "VethPair[" + a.name() + "@" + KernelState.nsLabel(a.netns()) + " <-> "
                + b.name() + "@" + KernelState.nsLabel(b.netns()) + "]";
    }
}
