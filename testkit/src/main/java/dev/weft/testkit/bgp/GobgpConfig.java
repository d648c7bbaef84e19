package dev.weft.testkit.bgp;

import java.util.ArrayList;
import java.util.List;

/**
 * A gobgpd TOML configuration built from a few facts, rendered by {@link #render()}. The router id
 * is mandatory for GoBGP, and the listen addresses are pinned ({@code local-address-list}) so that
 * two speakers in one namespace would not collide on 0.0.0.0:179 (specs/bgp.md §3.5).
 */
public final class GobgpConfig {
    private final String routerId;
    private final long localAs;
    private final List<String> listenAddresses = new ArrayList<>();
    private int port = 179;
    private final List<Neighbour> neighbours = new ArrayList<>();

    private GobgpConfig(String routerId, long localAs) {
        this.routerId = routerId;
        this.localAs = localAs;
    }

    /** Router id (dotted quad), also the first listen address. */
    public static GobgpConfig of(String routerId, long localAs) {
        GobgpConfig c = new GobgpConfig(routerId, localAs);
        c.listenAddresses.add(routerId);
        return c;
    }

    /** One more address to listen on (e.g. the speaker's IPv6 address). */
    public GobgpConfig listen(String address) {
        listenAddresses.add(address);
        return this;
    }

    public GobgpConfig port(int port) {
        this.port = port;
        return this;
    }

    public GobgpConfig neighbour(Neighbour n) {
        neighbours.add(n);
        return this;
    }

    public String routerId() {
        return routerId;
    }

    public List<Neighbour> neighbours() {
        return List.copyOf(neighbours);
    }

    public String render() {
        StringBuilder b = new StringBuilder(512);
        b.append("[global.config]\n");
        b.append("  as = ").append(localAs).append('\n');
        b.append("  router-id = ").append(quote(routerId)).append('\n');
        b.append("  port = ").append(port).append('\n');
        b.append("  local-address-list = [");
        for (int i = 0; i < listenAddresses.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(quote(listenAddresses.get(i)));
        }
        b.append("]\n");
        for (Neighbour n : neighbours) {
            n.render(b, localAs);
        }
        return b.toString();
    }

    static String quote(String s) {
        if (s.indexOf('"') >= 0 || s.indexOf('\\') >= 0 || s.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("value must not hold quotes, backslashes or newlines: " + s);
        }
        return '"' + s + '"';
    }

    /** One neighbour; iBGP unless {@link #peerAs} says otherwise; afi-safis follow the address family unless set. */
    public static final class Neighbour {
        private final String address;
        private Long peerAs;
        private String localAddress;
        private boolean passive;
        private String password;
        private int holdTime = 90;
        private int keepalive = 30;
        private int connectRetry = 5;
        private boolean gracefulRestart;
        private boolean rrClient;
        private String rrClusterId;
        private Boolean ipv4;
        private Boolean ipv6;

        private Neighbour(String address) {
            this.address = address;
        }

        public static Neighbour of(String address) {
            return new Neighbour(address);
        }

        public String address() {
            return address;
        }

        public Neighbour peerAs(long as) {
            this.peerAs = as;
            return this;
        }

        public Neighbour localAddress(String a) {
            this.localAddress = a;
            return this;
        }

        public Neighbour passive() {
            this.passive = true;
            return this;
        }

        /** TCP-MD5 key. */
        public Neighbour password(String p) {
            this.password = p;
            return this;
        }

        public Neighbour timers(int holdSeconds, int keepaliveSeconds) {
            this.holdTime = holdSeconds;
            this.keepalive = keepaliveSeconds;
            return this;
        }

        public Neighbour connectRetry(int seconds) {
            this.connectRetry = seconds;
            return this;
        }

        public Neighbour gracefulRestart() {
            this.gracefulRestart = true;
            return this;
        }

        /** This neighbour is our route-reflector client (cluster id null: GoBGP uses the router id). */
        public Neighbour rrClient(String clusterId) {
            this.rrClient = true;
            this.rrClusterId = clusterId;
            return this;
        }

        public Neighbour afiSafis(boolean v4, boolean v6) {
            this.ipv4 = v4;
            this.ipv6 = v6;
            return this;
        }

        void render(StringBuilder b, long localAs) {
            b.append("[[neighbors]]\n  [neighbors.config]\n");
            b.append("    neighbor-address = ").append(quote(address)).append('\n');
            b.append("    peer-as = ").append(peerAs == null ? localAs : peerAs).append('\n');
            if (password != null) {
                b.append("    auth-password = ").append(quote(password)).append('\n');
            }
            b.append("  [neighbors.timers.config]\n");
            b.append("    connect-retry = ").append(connectRetry).append('\n');
            b.append("    hold-time = ").append(holdTime).append('\n');
            b.append("    keepalive-interval = ").append(keepalive).append('\n');
            if (passive || localAddress != null) {
                b.append("  [neighbors.transport.config]\n");
                if (passive) {
                    b.append("    passive-mode = true\n");
                }
                if (localAddress != null) {
                    b.append("    local-address = ").append(quote(localAddress)).append('\n');
                }
            }
            if (gracefulRestart) {
                b.append("  [neighbors.graceful-restart.config]\n    enabled = true\n");
            }
            if (rrClient) {
                b.append("  [neighbors.route-reflector.config]\n    route-reflector-client = true\n");
                if (rrClusterId != null) {
                    b.append("    route-reflector-cluster-id = ").append(quote(rrClusterId)).append('\n');
                }
            }
            boolean v6addr = BirdConfig.isV6(address);
            if (ipv4 != null ? ipv4 : !v6addr) {
                renderAfiSafi(b, "ipv4-unicast");
            }
            if (ipv6 != null ? ipv6 : v6addr) {
                renderAfiSafi(b, "ipv6-unicast");
            }
        }

        private void renderAfiSafi(StringBuilder b, String name) {
            b.append("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n");
            b.append("      afi-safi-name = ").append(quote(name)).append('\n');
            if (gracefulRestart) {
                b.append("    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true\n");
            }
        }
    }
}
