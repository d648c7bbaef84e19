package dev.weft.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Locates external tools and checks the preconditions of kernel tests (root, tools present). */
public final class Tools {
    private Tools() {}

    /** Debian package that provides a tool, for error messages. */
    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("ip", "iproute2"),
            Map.entry("bridge", "iproute2"),
            Map.entry("nft", "nftables"),
            Map.entry("iptables", "iptables"),
            Map.entry("etcd", "etcd-server"),
            Map.entry("etcdctl", "etcd-client"),
            Map.entry("ping", "iputils-ping"),
            Map.entry("sysctl", "procps"),
            Map.entry("jq", "jq"),
            Map.entry("id", "coreutils"));

    /** Directories searched in addition to $PATH (root tools often live in sbin, which some PATHs lack). */
    private static final List<String> EXTRA_DIRS =
            List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();
    private static volatile Boolean root;

    /**
     * Absolute path of an executable. Names containing '/' are checked as given.
     *
     * @throws PrerequisiteException if it cannot be found, naming the package to install
     */
    public static String which(String tool) {
        String cached = CACHE.get(tool);
        if (cached != null) {
            return cached;
        }
        String found = search(tool);
        if (found == null) {
            String base = Path.of(tool).getFileName().toString();
            String pkg = PACKAGES.get(base);
            throw new PrerequisiteException("required tool '" + tool + "' not found (searched $PATH and "
                    + String.join(",", EXTRA_DIRS) + ")"
                    + (pkg != null ? ": apt-get install " + pkg : ""));
        }
        CACHE.put(tool, found);
        return found;
    }

    /** $PATH, then the extra directories; the kit stays independent of Weft's own command runner. */
    private static String search(String tool) {
        if (tool.contains("/")) {
            return Files.isExecutable(Path.of(tool)) ? tool : null;
        }
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        dirs.addAll(EXTRA_DIRS);
        for (String d : dirs) {
            Path p = d.isEmpty() ? null : Path.of(d, tool);
            if (p != null && Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** True if the tool can be found. */
    public static boolean available(String tool) {
        try {
            which(tool);
            return true;
        } catch (PrerequisiteException e) {
            return false;
        }
    }

    /** Throws a {@link PrerequisiteException} listing every missing tool. */
    public static void require(String... tools) {
        List<String> missing = new ArrayList<>();
        for (String t : tools) {
            try {
                which(t);
            } catch (PrerequisiteException e) {
                missing.add(e.getMessage());
            }
        }
        if (!missing.isEmpty()) {
            throw new PrerequisiteException("kernel tests cannot run: " + String.join("; ", missing));
        }
    }

    /** Effective uid of this JVM, via {@code id -u}. */
    public static int uid() {
        return Integer.parseInt(Cmd.run("id", "-u").stdout().trim());
    }

    /** Throws unless running as root: kernel tests need CAP_NET_ADMIN and CAP_SYS_ADMIN (netns mounts). */
    public static void requireRoot() {
        Boolean r = root;
        if (r == null) {
            int uid = uid();
            r = uid == 0;
            root = r;
            if (!r) {
                throw new PrerequisiteException("kernel tests need root (uid 0) to create network namespaces;"
                        + " this JVM runs as uid " + uid);
            }
        } else if (!r) {
            throw new PrerequisiteException("kernel tests need root (uid 0) to create network namespaces");
        }
    }

    /** Root plus ip, bridge and nft: everything every kernel test needs. */
    public static void requireKernelTestPrerequisites() {
        Tools.require("id", "ip", "bridge", "nft");
        requireRoot();
    }
}
