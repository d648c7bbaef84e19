package dev.weft.testkit.bgp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BIRD 2 configuration built from a few facts, rendered by {@link #render()}. What it always
 * contains, and why (see specs/bgp.md §3.5, pitfalls):
 * <ul>
 *   <li>an explicit {@code router id} (a namespace may have no usable address for BIRD to pick);</li>
 *   <li>{@code protocol direct} on eth0 for both families: iBGP next hops resolve only through a
 *       route to them ({@code gateway recursive});</li>
 *   <li>{@code protocol kernel} per family exporting BGP routes into the namespace's main table,
 *       {@code merge paths on} (ECMP);</li>
 *   <li>one {@code protocol static} per group of blackhole routes to announce;</li>
 *   <li>short timers ({@code connect retry time 5; error wait time 1,5;}), since BIRD's defaults
 *       make a test wait minutes;</li>
 *   <li>protocol times as {@code <epoch seconds>.<ms>} so that {@link BirdPeer#protocols()} can tell
 *       when a session came up, to the millisecond.</li>
 * </ul>
 * Mutable on purpose: {@link BirdPeer#addStatic} changes it and reconfigures.
 */
public final class BirdConfig {
    /** The static group used when none is named. */
    public static final String DEFAULT_GROUP = "st";

    private final String routerId;
    private final long localAs;
    private String localV4;
    private String localV6;
    private String device = "eth0";
    private boolean kernelExport = true;
    private boolean kernelGracefulRestart;
    private final List<Neighbour> neighbours = new ArrayList<>();
    /** group name -> prefixes; one static protocol per group and family. */
    private final Map<String, Set<String>> statics = new LinkedHashMap<>();

    private BirdConfig(String routerId, long localAs) {
        this.routerId = routerId;
        this.localAs = localAs;
    }

    /** Router id (dotted quad) and local AS; the router id is also the default local IPv4 address. */
    public static BirdConfig of(String routerId, long localAs) {
        BirdConfig c = new BirdConfig(routerId, localAs);
        c.localV4 = routerId;
        return c;
    }

    public BirdConfig localV4(String address) {
        this.localV4 = address;
        return this;
    }

    public BirdConfig localV6(String address) {
        this.localV6 = address;
        return this;
    }

    /** The interface whose connected routes resolve next hops (default eth0). */
    public BirdConfig device(String ifname) {
        this.device = ifname;
        return this;
    }

    /** Whether BGP routes go into the namespace's FIB (default true). */
    public BirdConfig kernelExport(boolean on) {
        this.kernelExport = on;
        return this;
    }

    /**
     * The kernel protocols take part in graceful-restart recovery: started with {@code -R}
     * ({@link BirdPeer#startRecovering}), BIRD leaves the routes a killed BIRD left in the kernel
     * alone until its BGP peers sent End-of-RIB, instead of flushing them at its first scan.
     */
    public BirdConfig kernelGracefulRestart() {
        this.kernelGracefulRestart = true;
        return this;
    }

    public BirdConfig neighbour(Neighbour n) {
        for (Neighbour o : neighbours) {
            if (o.name.equals(n.name)) {
                throw new IllegalArgumentException("two neighbours named " + n.name);
            }
        }
        neighbours.add(n);
        return this;
    }

    /** A blackhole route to announce, in the default static group. */
    public BirdConfig staticRoute(String prefix) {
        return staticRoute(DEFAULT_GROUP, prefix);
    }

    /** A blackhole route in a named group; {@link Neighbour#exportGroups} can limit a session to groups. */
    public BirdConfig staticRoute(String group, String prefix) {
        requireName(group);
        statics.computeIfAbsent(group, g -> new LinkedHashSet<>()).add(prefix);
        return this;
    }

    /** Removes a static route from whatever group holds it; true if it was there. */
    public boolean removeStatic(String prefix) {
        boolean removed = false;
        for (Set<String> s : statics.values()) {
            removed |= s.remove(prefix);
        }
        return removed;
    }

    public String routerId() {
        return routerId;
    }

    public long localAs() {
        return localAs;
    }

    public List<Neighbour> neighbours() {
        return List.copyOf(neighbours);
    }

    public Neighbour neighbour(String name) {
        for (Neighbour n : neighbours) {
            if (n.name.equals(name)) {
                return n;
            }
        }
        throw new IllegalArgumentException("no neighbour named " + name);
    }

    /** The config file text. */
    public String render() {
        StringBuilder b = new StringBuilder(256 + 48 * staticCount());
        b.append("log stderr all;\n");
        b.append("router id ").append(routerId).append(";\n");
        b.append("timeformat protocol \"%s.%3f\";\n");
        b.append("protocol device { scan time 10; }\n");
        b.append("protocol direct { ipv4; ipv6; interface \"").append(device).append("\"; }\n");
        if (kernelExport) {
            for (String fam : List.of("ipv4", "ipv6")) {
                b.append("protocol kernel kernel_").append(fam).append(" { ").append(fam)
                        .append(" { import none; export where source = RTS_BGP; }; merge paths on;")
                        .append(kernelGracefulRestart ? " graceful restart on;" : "").append(" }\n");
            }
        }
        for (Map.Entry<String, Set<String>> g : statics.entrySet()) {
            renderStatics(b, g.getKey(), "ipv4", g.getValue(), false);
            renderStatics(b, g.getKey(), "ipv6", g.getValue(), true);
        }
        for (Neighbour n : neighbours) {
            n.render(b, this);
        }
        return b.toString();
    }

    private int staticCount() {
        int n = 0;
        for (Set<String> s : statics.values()) {
            n += s.size();
        }
        return n;
    }

    /** A static protocol per group and family that has routes: BIRD rejects a v6 route in a v4 channel. */
    private static void renderStatics(StringBuilder b, String group, String fam, Set<String> prefixes, boolean v6) {
        boolean any = false;
        for (String p : prefixes) {
            if (isV6(p) == v6) {
                if (!any) {
                    b.append("protocol static ").append(staticName(group, fam)).append(" { ").append(fam).append(";\n");
                    any = true;
                }
                b.append("  route ").append(p).append(" blackhole;\n");
            }
        }
        if (any) {
            b.append("}\n");
        }
    }

    static String staticName(String group, String fam) {
        return group + "_" + fam;
    }

    static boolean isV6(String addressOrPrefix) {
        return addressOrPrefix.indexOf(':') >= 0;
    }

    private static void requireName(String s) {
        if (s.isEmpty() || s.length() > 32) {
            throw new IllegalArgumentException("BIRD name must have 1..32 characters: " + s);
        }
        for (char c : s.toCharArray()) {
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                throw new IllegalArgumentException("BIRD name may hold letters, digits and _ only: " + s);
            }
        }
        if (Character.isDigit(s.charAt(0))) {
            throw new IllegalArgumentException("BIRD name must not start with a digit: " + s);
        }
    }

    /**
     * One BGP session ({@code protocol bgp <name>}). iBGP by default (peer AS = local AS); the
     * channels follow the neighbour's address family unless set.
     */
    public static final class Neighbour {
        private final String name;
        private final String address;
        private Long peerAs;
        private String localAddress;
        private boolean passive;
        private String password;
        private int holdTime = 90;
        private int keepaliveTime = 30;
        private int connectRetry = 5;
        private int connectDelay = 1;
        private boolean rrClient;
        private String rrClusterId;
        private boolean gracefulRestart;
        private boolean addPaths;
        private Boolean ipv4;
        private Boolean ipv6;
        private List<String> exportGroups;

        private Neighbour(String name, String address) {
            requireName(name);
            this.name = name;
            this.address = address;
        }

        /**
         * Protocol name (letters, digits, _; not a BIRD keyword such as {@code ibgp} or {@code passive}:
         * BIRD 2.0 cannot quote symbols, and {@code bird -p} at start says so) and the neighbour's address.
         */
        public static Neighbour of(String name, String address) {
            return new Neighbour(name, address);
        }

        public String name() {
            return name;
        }

        public String address() {
            return address;
        }

        /** eBGP when it differs from the local AS (then import/export are still explicit: RFC 8212). */
        public Neighbour peerAs(long as) {
            this.peerAs = as;
            return this;
        }

        /** Source address; default: the config's local address of the neighbour's family. */
        public Neighbour localAddress(String a) {
            this.localAddress = a;
            return this;
        }

        /** Never connect, only accept. */
        public Neighbour passive() {
            this.passive = true;
            return this;
        }

        /** TCP-MD5 (RFC 2385) key. */
        public Neighbour password(String p) {
            if (p.indexOf('"') >= 0 || p.indexOf('\\') >= 0 || p.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("password must not hold quotes, backslashes or newlines");
            }
            this.password = p;
            return this;
        }

        public Neighbour timers(int holdSeconds, int keepaliveSeconds) {
            this.holdTime = holdSeconds;
            this.keepaliveTime = keepaliveSeconds;
            return this;
        }

        public Neighbour connectRetry(int seconds) {
            this.connectRetry = seconds;
            return this;
        }

        /** Seconds from protocol start to the first connect (BIRD's default is 5). */
        public Neighbour connectDelay(int seconds) {
            this.connectDelay = seconds;
            return this;
        }

        /** This neighbour is a route-reflector client of ours, in the given cluster (null: our router id). */
        public Neighbour rrClient(String clusterId) {
            this.rrClient = true;
            this.rrClusterId = clusterId;
            return this;
        }

        public Neighbour gracefulRestart() {
            this.gracefulRestart = true;
            return this;
        }

        /** ADD-PATH (RFC 7911) in both directions on every channel. */
        public Neighbour addPaths() {
            this.addPaths = true;
            return this;
        }

        /** Which address families the session carries (default: the neighbour address's family). */
        public Neighbour channels(boolean v4, boolean v6) {
            this.ipv4 = v4;
            this.ipv6 = v6;
            return this;
        }

        /** Export only the static routes of these groups (and no BGP routes); default: all static + BGP. */
        public Neighbour exportGroups(String... groups) {
            for (String g : groups) {
                requireName(g);
            }
            this.exportGroups = List.of(groups);
            return this;
        }

        void render(StringBuilder b, BirdConfig c) {
            boolean v6addr = isV6(address);
            String local = localAddress != null ? localAddress : v6addr ? c.localV6 : c.localV4;
            if (local == null) {
                throw new IllegalStateException("neighbour " + name + ": no local " + (v6addr ? "IPv6" : "IPv4") + " address");
            }
            b.append("protocol bgp ").append(name).append(" {\n");
            b.append("  local ").append(local).append(" as ").append(c.localAs).append(";\n");
            b.append("  neighbor ").append(address).append(" as ").append(peerAs == null ? c.localAs : peerAs).append(";\n");
            b.append("  hold time ").append(holdTime).append("; keepalive time ").append(keepaliveTime).append(";\n");
            b.append("  connect retry time ").append(connectRetry).append("; connect delay time ").append(connectDelay)
                    .append("; error wait time 1,5;\n");
            if (passive) {
                b.append("  passive on;\n");
            }
            if (password != null) {
                b.append("  password \"").append(password).append("\";\n");
            }
            if (rrClient) {
                b.append("  rr client;\n");
                if (rrClusterId != null) {
                    b.append("  rr cluster id ").append(rrClusterId).append(";\n");
                }
            }
            if (gracefulRestart) {
                b.append("  graceful restart on;\n");
            }
            boolean v4 = ipv4 != null ? ipv4 : !v6addr;
            boolean v6 = ipv6 != null ? ipv6 : v6addr;
            if (v4) {
                renderChannel(b, "ipv4");
            }
            if (v6) {
                renderChannel(b, "ipv6");
            }
            b.append("}\n");
        }

        private void renderChannel(StringBuilder b, String fam) {
            b.append("  ").append(fam).append(" { import all; export ");
            if (exportGroups == null) {
                b.append("where source ~ [ RTS_STATIC, RTS_BGP ]");
            } else if (exportGroups.isEmpty()) {
                b.append("none");
            } else {
                b.append("where ");
                for (int i = 0; i < exportGroups.size(); i++) {
                    b.append(i == 0 ? "" : " || ").append("proto = \"").append(staticName(exportGroups.get(i), fam)).append('"');
                }
            }
            b.append(";");
            if (addPaths) {
                b.append(" add paths on;");
            }
            b.append(" };\n");
        }
    }
}
