package dev.weft.bgp.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.weft.bgp.rib.RibConfig;
import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Everything the agent needs: the speaker, its routes, its FIB, its peers. Records built by
 * Jackson from the config file (missing keys arrive as null and get their defaults here) or by an
 * embedder in code; every value is checked in the constructors, so an invalid config never starts.
 *
 * @param routerId        the BGP identifier, dotted quad; never 0 nor in 224/4 or 240/4 (calico#5146)
 * @param localAs         1..4294967295
 * @param listen          the server socket (default {@code [::]:179})
 * @param gracefulRestart our own restart (RFC 4724, restarting speaker) and the default for peers
 * @param ecmp            equally good paths form a multipath route
 * @param clusterId       set to act as a route reflector (dotted quad, not 0)
 * @param localPref       LOCAL_PREF of our routes to iBGP peers (default 100)
 * @param originate       prefixes this node announces, optionally with a local blackhole route
 * @param fib             where learned routes go in the kernel
 * @param peers           the sessions; addresses unique
 * @param status          where the status endpoint listens
 */
public record AgentConfig(String routerId, Long localAs, Listen listen, GracefulRestart gracefulRestart, Boolean ecmp,
                          String clusterId, Long localPref, List<Originate> originate, Fib fib, List<Peer> peers,
                          Status status) {
    public AgentConfig {
        require(routerId, "routerId");
        require(localAs, "localAs");
        checkRouterId(routerId, "routerId");
        checkAs(localAs, "localAs");
        listen = listen == null ? Listen.DEFAULT : listen;
        gracefulRestart = gracefulRestart == null ? GracefulRestart.DEFAULT : gracefulRestart;
        ecmp = ecmp != null && ecmp;
        if (clusterId != null) {
            checkClusterId(clusterId);
        }
        localPref = localPref == null ? RibConfig.DEFAULT_LOCAL_PREF : localPref;
        if (localPref < 0 || localPref > 0xFFFF_FFFFL) {
            throw new ConfigException("localPref: " + localPref + " is not a 32-bit unsigned value");
        }
        originate = originate == null ? List.of() : List.copyOf(originate);
        Set<Cidr> prefixes = new HashSet<>();
        for (Originate o : originate) {
            if (!prefixes.add(o.cidr())) {
                throw new ConfigException("originate: " + o.prefix() + " is listed twice");
            }
        }
        fib = fib == null ? Fib.DEFAULT : fib;
        peers = peers == null ? List.of() : List.copyOf(peers);
        Set<IpAddress> addresses = new HashSet<>();
        for (Peer p : peers) {
            if (!addresses.add(p.ip())) {
                throw new ConfigException("peers: " + p.address() + " is listed twice (peer addresses must be unique)");
            }
        }
        status = status == null ? Status.NONE : status;
    }

    /** A minimal config for code and tests: no peers, no routes, defaults elsewhere. */
    public static AgentConfig of(String routerId, long localAs) {
        return new AgentConfig(routerId, localAs, null, null, null, null, null, null, null, null, null);
    }

    public AgentConfig withListen(Listen l) {
        return new AgentConfig(routerId, localAs, l, gracefulRestart, ecmp, clusterId, localPref, originate, fib, peers, status);
    }

    public AgentConfig withGracefulRestart(GracefulRestart gr) {
        return new AgentConfig(routerId, localAs, listen, gr, ecmp, clusterId, localPref, originate, fib, peers, status);
    }

    public AgentConfig withEcmp(boolean on) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, on, clusterId, localPref, originate, fib, peers, status);
    }

    public AgentConfig withOriginate(List<Originate> o) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, ecmp, clusterId, localPref, o, fib, peers, status);
    }

    public AgentConfig withFib(Fib f) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, ecmp, clusterId, localPref, originate, f, peers, status);
    }

    public AgentConfig withPeers(List<Peer> p) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, ecmp, clusterId, localPref, originate, fib, p, status);
    }

    /** Acts as a route reflector with this CLUSTER_ID (a dotted quad), or not at all with null. */
    public AgentConfig withClusterId(String id) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, ecmp, id, localPref, originate, fib, peers, status);
    }

    public AgentConfig withStatus(Status s) {
        return new AgentConfig(routerId, localAs, listen, gracefulRestart, ecmp, clusterId, localPref, originate, fib, peers, s);
    }

    public IpAddress routerIdAddress() {
        return IpAddress.parse(routerId);
    }

    public OptionalInt clusterIdValue() {
        return clusterId == null ? OptionalInt.empty() : OptionalInt.of(IpAddress.parse(clusterId).toV4Int());
    }

    /** The RIB's settings; the next-hop mode of reflected routes is "self" when any peer asks for it. */
    public RibConfig ribConfig() {
        RibConfig c = RibConfig.of(localAs, routerIdAddress().toV4Int()).withMultipath(ecmp).withLocalPref(localPref);
        if (clusterId != null) {
            c = c.withClusterId(clusterIdValue().getAsInt());
        }
        boolean self = peers.stream().anyMatch(p -> p.nextHop() == NextHopMode.SELF);
        return c.withReflectNextHop(self ? RibConfig.NextHopMode.SELF : RibConfig.NextHopMode.KEEP);
    }

    public Optional<Peer> peer(IpAddress address) {
        IpAddress a = address.unmap();
        return peers.stream().filter(p -> p.ip().equals(a)).findFirst();
    }

    /** The server socket. */
    public record Listen(String address, Integer port) {
        static final Listen DEFAULT = new Listen(null, null);

        public Listen {
            address = address == null ? "::" : address;
            parseIp(address, "listen.address");
            port = port == null ? 179 : port;
            if (port < 0 || port > 65535) {
                throw new ConfigException("listen.port: " + port + " is not a port (0..65535)");
            }
        }

        public IpAddress ip() {
            return IpAddress.parse(address);
        }
    }

    /**
     * Graceful restart (RFC 4724).
     *
     * @param enabled           advertise the capability (to every peer unless a peer turns it off): peers
     *                          keep our routes while we restart, and we keep theirs while they do
     * @param restartTime       seconds we ask peers to wait for us, 0..4095 (default 120)
     * @param selectionDeferral seconds after a restart that adopted kernel routes wait at most for every
     *                          peer's End-of-RIB before those no one re-announced go (default 120)
     */
    public record GracefulRestart(Boolean enabled, Integer restartTime, Integer selectionDeferral) {
        static final GracefulRestart DEFAULT = new GracefulRestart(null, null, null);

        public GracefulRestart {
            enabled = enabled == null || enabled;
            restartTime = restartTime == null ? 120 : restartTime;
            if (restartTime < 0 || restartTime > 4095) {
                throw new ConfigException("gracefulRestart.restartTime: " + restartTime + " is not in 0..4095 (12 bits)");
            }
            selectionDeferral = selectionDeferral == null ? 120 : selectionDeferral;
            if (selectionDeferral < 1 || selectionDeferral > 3600) {
                throw new ConfigException("gracefulRestart.selectionDeferral: " + selectionDeferral + " is not in 1..3600");
            }
        }

        public static GracefulRestart of(boolean enabled, int restartTime, int selectionDeferral) {
            return new GracefulRestart(enabled, restartTime, selectionDeferral);
        }
    }

    /** A prefix we announce; with {@code blackhole}, also a local blackhole route for it (Calico's block route). */
    public record Originate(String prefix, Boolean blackhole) {
        public Originate {
            require(prefix, "originate.prefix");
            Cidr c = parseCidr(prefix, "originate.prefix");
            if (c.hasHostBits()) {
                throw new ConfigException("originate.prefix: " + prefix + " has host bits set (did you mean " + c.network() + "?)");
            }
            blackhole = blackhole != null && blackhole;
        }

        public Cidr cidr() {
            return Cidr.parse(prefix);
        }
    }

    /**
     * The kernel FIB.
     *
     * @param table     routing table (default 254, main)
     * @param namespace path of a network namespace (e.g. /run/netns/x) for the FIB and the sessions;
     *                  null for the process's own
     * @param install   false for a pure route reflector, which learns and reflects but installs nothing
     */
    public record Fib(Integer table, String namespace, Boolean install) {
        static final Fib DEFAULT = new Fib(null, null, null);

        public Fib {
            table = table == null ? 254 : table;
            if (table < 1 || table == 255 || table == 253) {
                throw new ConfigException("fib.table: " + table + " is not a usable table (1.., not local 255 or default 253)");
            }
            if (namespace != null && !namespace.startsWith("/")) {
                throw new ConfigException("fib.namespace: " + namespace + " must be an absolute path such as /run/netns/NAME");
            }
            install = install == null || install;
        }
    }

    /** Next hop of routes reflected to this peer. */
    public enum NextHopMode {
        KEEP, SELF;

        @JsonValue
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        static NextHopMode parse(String s) {
            return switch (s) {
                case "keep" -> KEEP;
                case "self" -> SELF;
                default -> throw new ConfigException("nextHop: \"" + s + "\" is neither keep nor self");
            };
        }
    }

    /**
     * One peer.
     *
     * @param families        {@code ipv4}, {@code ipv6} (default: the family of the address)
     * @param gracefulRestart null: the speaker's setting
     * @param localAddress    source address of our connections (default: the kernel's choice)
     */
    public record Peer(String address, Long as, Boolean passive, String password, Integer holdTime, Integer keepalive,
                       Integer connectRetry, Integer ttlSecurity, Boolean rrClient, Boolean gracefulRestart,
                       List<String> families, NextHopMode nextHop, String localAddress) {
        /** RFC 2385 keys are at most 80 octets (TCP_MD5SIG_MAXKEYLEN). */
        public static final int MAX_PASSWORD = 80;

        public Peer {
            require(address, "peers.address");
            IpAddress ip = parseIp(address, "peers.address").unmap();
            String where = "peers[" + address + "].";
            require(as, where + "as");
            checkAs(as, where + "as");
            passive = passive != null && passive;
            password = password == null ? "" : password;
            if (password.length() > MAX_PASSWORD || !password.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new ConfigException(where + "password: at most " + MAX_PASSWORD + " printable ASCII characters (TCP-MD5 key)");
            }
            holdTime = holdTime == null ? 90 : holdTime;
            if (holdTime != 0 && (holdTime < 3 || holdTime > 65535)) {
                throw new ConfigException(where + "holdTime: " + holdTime + " must be 0 or 3..65535 (RFC 4271)");
            }
            keepalive = keepalive == null ? 0 : keepalive;
            if (keepalive < 0 || keepalive > 65535) {
                throw new ConfigException(where + "keepalive: " + keepalive + " is not in 0..65535 (0 = holdTime/3)");
            }
            connectRetry = connectRetry == null ? 5 : connectRetry;
            if (connectRetry < 1 || connectRetry > 3600) {
                throw new ConfigException(where + "connectRetry: " + connectRetry + " is not in 1..3600 seconds");
            }
            ttlSecurity = ttlSecurity == null ? 0 : ttlSecurity;
            if (ttlSecurity < 0 || ttlSecurity > 254) {
                throw new ConfigException(where + "ttlSecurity: " + ttlSecurity + " hops is not in 0..254 (0 = off)");
            }
            rrClient = rrClient != null && rrClient;
            families = families == null || families.isEmpty() ? List.of(ip.isV4() ? "ipv4" : "ipv6") : List.copyOf(families);
            Set<String> seen = new HashSet<>();
            for (String f : families) {
                if (!f.equals("ipv4") && !f.equals("ipv6")) {
                    throw new ConfigException(where + "families: \"" + f + "\" is neither ipv4 nor ipv6");
                }
                if (!seen.add(f)) {
                    throw new ConfigException(where + "families: " + f + " listed twice");
                }
            }
            nextHop = nextHop == null ? NextHopMode.KEEP : nextHop;
            if (localAddress != null) {
                parseIp(localAddress, where + "localAddress");
            }
        }

        /** An active peer with defaults: hold 90 s, connect retry 5 s, the family of its address. */
        public static Peer of(String address, long as) {
            return new Peer(address, as, null, null, null, null, null, null, null, null, null, null, null);
        }

        public Peer withPassive(boolean p) {
            return new Peer(address, as, p, password, holdTime, keepalive, connectRetry, ttlSecurity, rrClient,
                    gracefulRestart, families, nextHop, localAddress);
        }

        public Peer withTimers(int hold, int retry) {
            return new Peer(address, as, passive, password, hold, keepalive, retry, ttlSecurity, rrClient,
                    gracefulRestart, families, nextHop, localAddress);
        }

        public Peer withRrClient(boolean c) {
            return new Peer(address, as, passive, password, holdTime, keepalive, connectRetry, ttlSecurity, c,
                    gracefulRestart, families, nextHop, localAddress);
        }

        public Peer withGracefulRestart(Boolean gr) {
            return new Peer(address, as, passive, password, holdTime, keepalive, connectRetry, ttlSecurity, rrClient,
                    gr, families, nextHop, localAddress);
        }

        public Peer withFamilies(String... fs) {
            return new Peer(address, as, passive, password, holdTime, keepalive, connectRetry, ttlSecurity, rrClient,
                    gracefulRestart, List.of(fs), nextHop, localAddress);
        }

        public Peer withLocalAddress(String a) {
            return new Peer(address, as, passive, password, holdTime, keepalive, connectRetry, ttlSecurity, rrClient,
                    gracefulRestart, families, nextHop, a);
        }

        public Peer withPassword(String key) {
            return new Peer(address, as, passive, key, holdTime, keepalive, connectRetry, ttlSecurity, rrClient,
                    gracefulRestart, families, nextHop, localAddress);
        }

        public IpAddress ip() {
            return IpAddress.parse(address).unmap();
        }

        public Set<Family> familySet() {
            Set<Family> out = new HashSet<>();
            for (String f : families) {
                out.add(f.equals("ipv4") ? Family.IPV4_UNICAST : Family.IPV6_UNICAST);
            }
            return out;
        }

        public Duration connectRetryDuration() {
            return Duration.ofSeconds(connectRetry);
        }
    }

    /**
     * The status endpoints ({@code weftctl bgp}, JSON, metrics): {@code socket}, a Unix socket path
     * serving everything (mode 0600, root only), and/or {@code address}:{@code port}, a TCP listener
     * serving only /metrics and /healthz. Neither set means none.
     */
    public record Status(String address, Integer port, String socket) {
        static final Status NONE = new Status(null, null, null);

        public Status {
            if (socket != null && !socket.startsWith("/")) {
                throw new ConfigException("status.socket: " + socket + " must be an absolute path");
            }
            if (port != null && (port < 0 || port > 65535)) {
                throw new ConfigException("status.port: " + port + " is not a port (0..65535)");
            }
            if (address != null) {
                parseIp(address, "status.address");
                if (port == null) {
                    throw new ConfigException("status.port: needed with status.address");
                }
            } else if (port != null) {
                address = "127.0.0.1";
            }
        }

        public boolean enabled() {
            return socket != null || port != null;
        }
    }

    // ----------------------------------------------------------------------------- checks

    private static void require(Object v, String key) {
        if (v == null) {
            throw new ConfigException(key + ": required");
        }
    }

    static void checkAs(long as, String key) {
        if (as < 1 || as > 0xFFFF_FFFFL) {
            throw new ConfigException(key + ": " + as + " is not an AS number (1..4294967295)");
        }
    }

    static void checkRouterId(String id, String key) {
        IpAddress ip = parseIp(id, key);
        if (!ip.isV4()) {
            throw new ConfigException(key + ": " + id + " must be a dotted quad (a 32-bit value)");
        }
        int v = ip.toV4Int();
        if (v == 0 || (v >>> 28) >= 0xE) {
            throw new ConfigException(key + ": " + id + " is 0 or in 224.0.0.0/4 or 240.0.0.0/4; peers reject it (calico#5146)");
        }
    }

    /**
     * A CLUSTER_ID is any non-zero 4-octet value written as a dotted quad; unlike a router id it may
     * lie in 240/4, where Calico's conventional 244.0.0.1 is.
     */
    static void checkClusterId(String id) {
        IpAddress ip = parseIp(id, "clusterId");
        if (!ip.isV4() || ip.toV4Int() == 0) {
            throw new ConfigException("clusterId: " + id + " must be a non-zero dotted quad (a 32-bit value)");
        }
    }

    static IpAddress parseIp(String s, String key) {
        try {
            return IpAddress.parse(s);
        } catch (RuntimeException e) {
            throw new ConfigException(key + ": \"" + s + "\" is not an IP address");
        }
    }

    static Cidr parseCidr(String s, String key) {
        try {
            return Cidr.parse(s);
        } catch (RuntimeException e) {
            throw new ConfigException(key + ": \"" + s + "\" is not a prefix (address/length)");
        }
    }
}
