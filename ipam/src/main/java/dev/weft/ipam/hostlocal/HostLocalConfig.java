package dev.weft.ipam.hostlocal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The host-local view of a plugin's stdin, canonical and validated as the reference's
 * {@code LoadIPAMConfig} does it (same order of checks, same messages).
 *
 * @param name         the network name ({@code name}); the store directory under dataDir
 * @param cniVersion   the config's {@code cniVersion}, "" when absent
 * @param rangeSets    one per address to hand out, in result order: {@code runtimeConfig.ipRanges},
 *                     then the legacy top-level range, then {@code ipam.ranges}
 * @param routes       {@code ipam.routes}, verbatim
 * @param dataDir      {@code ipam.dataDir}, default {@link #DEFAULT_DATA_DIR}
 * @param resolvConf   {@code ipam.resolvConf}, or null
 * @param requestedIps CNI_ARGS {@code IP}, then {@code args.cni.ips}, then {@code runtimeConfig.ips};
 *                     IPv4-mapped addresses unmapped, duplicates dropped
 */
public record HostLocalConfig(String name, String cniVersion, List<RangeSet> rangeSets, List<Route> routes,
                              Path dataDir, String resolvConf, List<IpAddress> requestedIps) {

    public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/cni/networks");

    public HostLocalConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cniVersion, "cniVersion");
        rangeSets = List.copyOf(rangeSets);
        routes = List.copyOf(routes);
        Objects.requireNonNull(dataDir, "dataDir");
        requestedIps = List.copyOf(requestedIps);
    }

    /**
     * Parses and validates the whole plugin stdin plus the raw CNI_ARGS (null or "" for none).
     * Every failure is an {@link IpamException} with code 7, or 1 when the cniVersion cannot carry
     * more than one address per family.
     */
    public static HostLocalConfig parse(JsonNode stdin, String cniArgs) throws IpamException {
        if (stdin == null || !stdin.isObject()) {
            throw new IpamException(IpamException.INVALID_CONFIG, "invalid IPAM config: stdin is not a JSON object");
        }
        String name = orEmpty(JsonFields.string(stdin, "name", "name"));
        String cniVersion = orEmpty(JsonFields.string(stdin, "cniVersion", "cniVersion"));
        JsonNode ipam = JsonFields.object(stdin, "ipam", "ipam");
        if (ipam == null) {
            throw new IpamException(IpamException.INVALID_CONFIG, "IPAM config missing 'ipam' key");
        }
        JsonNode runtime = JsonFields.object(stdin, "runtimeConfig", "runtimeConfig");

        // JSON decoding first (the reference unmarshals everything before validating anything).
        RangeSpec legacy = RangeSpec.read(ipam, "ipam");
        List<List<RangeSpec>> configured = readRangeSets(ipam, "ranges", "ipam.ranges");
        List<List<RangeSpec>> capability = readRangeSets(runtime, "ipRanges", "runtimeConfig.ipRanges");
        List<Route> routes = readRoutes(ipam);
        String dataDir = JsonFields.string(ipam, "dataDir", "ipam.dataDir");
        String resolvConf = JsonFields.string(ipam, "resolvConf", "ipam.resolvConf");
        List<IpAddress> fromArgs = readIpList(JsonFields.object(JsonFields.object(stdin, "args", "args"), "cni", "args.cni"),
                "ips", "args.cni.ips");
        List<IpAddress> fromRuntime = readIpList(runtime, "ips", "runtimeConfig.ips");

        Set<IpAddress> requested = new LinkedHashSet<>();
        IpAddress envIp = requestedIp(cniArgs);
        if (envIp != null) {
            requested.add(envIp.unmap());
        }
        fromArgs.forEach(ip -> requested.add(ip.unmap()));
        fromRuntime.forEach(ip -> requested.add(ip.unmap()));

        List<List<RangeSpec>> specs = new ArrayList<>(capability);
        if (legacy.subnet() != null) { // the legacy range counts only when it names a subnet
            specs.add(List.of(legacy));
        }
        specs.addAll(configured);
        if (specs.isEmpty()) {
            throw new IpamException(IpamException.INVALID_CONFIG, "no IP ranges specified");
        }

        List<RangeSet> sets = new ArrayList<>();
        int v4 = 0;
        int v6 = 0;
        for (int i = 0; i < specs.size(); i++) {
            RangeSet set;
            try {
                set = canonicalSet(specs.get(i));
            } catch (IpamException e) {
                throw e.prefixed("invalid range set " + i + ": ");
            }
            sets.add(set);
            if (set.isV4()) {
                v4++;
            } else {
                v6++;
            }
        }
        if ((v4 > 1 || v6 > 1) && !versionAtLeast(cniVersion, 0, 3, 0)) {
            throw new IpamException(IpamException.INCOMPATIBLE_VERSION,
                    "CNI version " + cniVersion + " does not support more than 1 address per family");
        }
        for (int i = 0; i < sets.size(); i++) {
            for (int j = i + 1; j < sets.size(); j++) {
                if (sets.get(i).overlaps(sets.get(j))) {
                    throw new IpamException(IpamException.INVALID_CONFIG, "range set " + i + " overlaps with " + j);
                }
            }
        }
        Path dir = dataDir == null || dataDir.isEmpty() ? DEFAULT_DATA_DIR : Path.of(dataDir);
        return new HostLocalConfig(name, cniVersion, sets, routes, dir,
                resolvConf == null || resolvConf.isEmpty() ? null : resolvConf, new ArrayList<>(requested));
    }

    /** Where a network's store lives: all DEL needs, so DEL still works when ranges no longer validate. */
    record StoreLocation(Path dataDir, String name) {}

    /**
     * Only the store location from stdin: {@code name} and {@code ipam.dataDir}. Still requires the
     * {@code ipam} object, since without it there is no telling which store was meant.
     */
    static StoreLocation locate(JsonNode stdin) throws IpamException {
        JsonNode ipam = stdin == null ? null : JsonFields.field(stdin, "ipam");
        if (ipam == null || !ipam.isObject()) {
            throw new IpamException(IpamException.INVALID_CONFIG, "IPAM config missing 'ipam' key");
        }
        JsonNode name = JsonFields.field(stdin, "name");
        JsonNode dir = JsonFields.field(ipam, "dataDir");
        return new StoreLocation(
                dir != null && dir.isTextual() && !dir.textValue().isEmpty() ? Path.of(dir.textValue()) : DEFAULT_DATA_DIR,
                name != null && name.isTextual() ? name.textValue() : "");
    }

    /** {@code <dataDir>/<name>}, the directory holding this network's reservations. */
    public Path networkDir() {
        return HostLocalStore.networkDir(dataDir, name);
    }

    /** The DNS settings from {@code resolvConf}, or empty when none is configured. */
    public Optional<Dns> dns() throws IpamException {
        if (resolvConf == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Dns.parseResolvConf(Path.of(resolvConf)));
        } catch (IOException e) {
            throw new IpamException(IpamException.IO_FAILURE, "open " + resolvConf + ": " + e.getMessage(), null, e);
        }
    }

    // ---------------------------------------------------------------- reading

    /** One range as written, before defaults and validation. */
    private record RangeSpec(Cidr subnet, IpAddress rangeStart, IpAddress rangeEnd, IpAddress gateway) {
        static RangeSpec read(JsonNode obj, String path) throws IpamException {
            return new RangeSpec(JsonFields.cidr(obj, "subnet", path + ".subnet"),
                    JsonFields.ip(obj, "rangeStart", path + ".rangeStart"),
                    JsonFields.ip(obj, "rangeEnd", path + ".rangeEnd"),
                    JsonFields.ip(obj, "gateway", path + ".gateway"));
        }
    }

    private static List<List<RangeSpec>> readRangeSets(JsonNode parent, String key, String path) throws IpamException {
        JsonNode outer = JsonFields.array(parent, key, path);
        List<List<RangeSpec>> out = new ArrayList<>();
        if (outer == null) {
            return out;
        }
        for (int i = 0; i < outer.size(); i++) {
            JsonNode inner = outer.get(i);
            String setPath = path + "[" + i + "]";
            List<RangeSpec> set = new ArrayList<>();
            if (inner != null && !inner.isNull()) {
                if (!inner.isArray()) {
                    throw JsonFields.typeError(setPath, "an array", inner);
                }
                for (int j = 0; j < inner.size(); j++) {
                    JsonNode r = inner.get(j);
                    String rangePath = setPath + "[" + j + "]";
                    if (!r.isObject()) {
                        throw JsonFields.typeError(rangePath, "an object", r);
                    }
                    set.add(RangeSpec.read(r, rangePath));
                }
            }
            out.add(set);
        }
        return out;
    }

    private static RangeSet canonicalSet(List<RangeSpec> specs) throws IpamException {
        if (specs.isEmpty()) {
            throw new IpamException(IpamException.INVALID_CONFIG, "empty range set");
        }
        List<IpRange> ranges = new ArrayList<>();
        for (RangeSpec s : specs) {
            ranges.add(IpRange.canonical(s.subnet(), s.rangeStart(), s.rangeEnd(), s.gateway()));
        }
        return RangeSet.of(ranges);
    }

    private static List<Route> readRoutes(JsonNode ipam) throws IpamException {
        JsonNode arr = JsonFields.array(ipam, "routes", "ipam.routes");
        List<Route> out = new ArrayList<>();
        if (arr == null) {
            return out;
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode r = arr.get(i);
            String path = "ipam.routes[" + i + "]";
            if (!r.isObject()) {
                throw JsonFields.typeError(path, "an object", r);
            }
            Cidr dst = JsonFields.cidr(r, "dst", path + ".dst");
            if (dst == null) {
                // The reference would print "dst":"<nil>"; a route to nowhere is a config error.
                throw new IpamException(IpamException.INVALID_CONFIG, "invalid IPAM config: " + path + " has no dst");
            }
            out.add(new Route(dst, JsonFields.ip(r, "gw", path + ".gw"),
                    JsonFields.integer(r, "mtu", path + ".mtu"),
                    JsonFields.integer(r, "advmss", path + ".advmss"),
                    JsonFields.integer(r, "priority", path + ".priority"),
                    JsonFields.integer(r, "table", path + ".table"),
                    JsonFields.integer(r, "scope", path + ".scope")));
        }
        return out;
    }

    /** {@code args.cni.ips} and {@code runtimeConfig.ips}: each an IP, or an IP with a prefix (ignored). */
    private static List<IpAddress> readIpList(JsonNode parent, String key, String path) throws IpamException {
        JsonNode arr = JsonFields.array(parent, key, path);
        List<IpAddress> out = new ArrayList<>();
        if (arr == null) {
            return out;
        }
        for (int i = 0; i < arr.size(); i++) {
            JsonNode n = arr.get(i);
            if (!n.isTextual()) {
                throw JsonFields.typeError(path + "[" + i + "]", "a string", n);
            }
            String s = n.textValue();
            int slash = s.indexOf('/');
            if (slash >= 0) {
                try {
                    out.add(Cidr.parse(s).address());
                    continue;
                } catch (IllegalArgumentException e) {
                    throw new IpamException(IpamException.INVALID_CONFIG, "invalid IP address " + s);
                }
            }
            out.add(JsonFields.parseIp(s, "invalid IP address " + s));
        }
        return out;
    }

    /** The reference's version.GreaterThanOrEqualTo: "" means 0.1.0, malformed means "no". */
    static boolean versionAtLeast(String version, int major, int minor, int micro) {
        int[] v = {0, 1, 0};
        if (!version.isEmpty()) {
            String[] parts = version.split("\\.", -1);
            if (parts.length > 3) {
                return false;
            }
            v = new int[] {0, 0, 0};
            for (int i = 0; i < parts.length; i++) {
                try {
                    v[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        int[] want = {major, minor, micro};
        for (int i = 0; i < 3; i++) {
            if (v[i] != want[i]) {
                return v[i] > want[i];
            }
        }
        return true;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** host-local's args struct: {@code IP} (a requested address; empty means none) and the embedded {@code CommonArgs}. */
    private static final Set<String> ARG_FIELDS = Set.of("IP", "CommonArgs");

    /** Checks the fields' values in order, as Go's LoadArgs does (a class, not a lambda: plugin start-up). */
    private static final class ArgChecks implements CniArgs.ValueCheck {
        @Override
        public void check(String key, String value, String pair) throws IpamException {
            if (key.equals("CommonArgs")) {
                // Go's reflection also finds the embedded struct by its type name, and cannot fill it.
                throw new IpamException(IpamException.INVALID_CONFIG, "ARGS: cannot unmarshal into field 'CommonArgs' - type "
                        + "'*types.CommonArgs' does not implement encoding.TextUnmarshaler");
            }
            if (!value.isEmpty()) {
                parseIp(value, pair);
            }
        }
    }

    /** CNI_ARGS' IP, or null; an empty value unmarshals to a nil IP: no request. */
    private static IpAddress requestedIp(String cniArgs) throws IpamException {
        String ip = CniArgs.parse(cniArgs, ARG_FIELDS, new ArgChecks()).get("IP");
        return ip == null || ip.isEmpty() ? null : parseIp(ip, "IP=" + ip);
    }

    private static IpAddress parseIp(String value, String pair) throws IpamException {
        try {
            return IpAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw CniArgs.valueError(pair, "invalid IP address " + value);
        }
    }
}
