package dev.weft.sysctl;

import dev.weft.netns.NetNs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

/**
 * Kernel parameters under {@code /proc/sys}. The {@code net.*} tree belongs to the network
 * namespace of the thread that opens the file, so the {@link NetNs} variants run the access inside
 * that namespace.
 *
 * <p>Keys are given either in dotted form ({@code net.ipv4.ip_forward}) or as a path relative to
 * /proc/sys ({@code net/ipv4/conf/flannel.1/rp_filter}); use the path form when a component (an
 * interface name) contains a dot.
 */
public final class Sysctl {
    private static final Path ROOT = Paths.get("/proc/sys");

    private Sysctl() {
    }

    public static String read(String key) {
        Path p = path(key);
        try {
            return Files.readString(p, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("read sysctl " + key, e);
        }
    }

    public static void write(String key, String value) {
        Path p = path(key);
        try {
            Files.writeString(p, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("write sysctl " + key + "=" + value, e);
        }
    }

    /** Writes only when the value differs; returns whether it wrote. Avoids needless writes to
     * settings such as ip_forward whose every write resets other per-interface settings. */
    public static boolean ensure(String key, String value) {
        if (read(key).equals(value)) {
            return false;
        }
        write(key, value);
        return true;
    }

    public static String read(NetNs ns, String key) {
        return ns.run(() -> read(key));
    }

    public static void write(NetNs ns, String key, String value) {
        ns.exec(() -> write(key, value));
    }

    public static boolean ensure(NetNs ns, String key, String value) {
        return ns.run(() -> ensure(key, value));
    }

    static Path path(String key) {
        if (key.isEmpty() || key.contains("..") || key.startsWith("/")) {
            throw new IllegalArgumentException("invalid sysctl key: " + key);
        }
        String rel = key.indexOf('/') >= 0 ? key : key.replace('.', '/');
        return ROOT.resolve(rel);
    }
}
