package dev.weft.e2e.daemonset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * podman as these machines need it (scripts/image runs its build the same way, and says why): runc
 * with cgroupfs, and rlimits no higher than podman's own, which the container would fail to raise.
 */
final class Podman {
    private Podman() {
    }

    /** {@code podman <global flags> <verb>}. */
    static List<String> command(String verb) {
        return new ArrayList<>(List.of("podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", verb));
    }

    /** The --ulimit flags: NOFILE at this process's hard limit, NPROC at most 32768. */
    static List<String> ulimits() {
        long nofile = hardLimit("Max open files", 1 << 20);
        long nproc = Math.min(hardLimit("Max processes", 32768), 32768);
        return List.of("--ulimit", "nofile=" + nofile + ":" + nofile, "--ulimit", "nproc=" + nproc + ":" + nproc);
    }

    private static long hardLimit(String name, long unlimited) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (l.startsWith(name)) {
                    String[] f = l.substring(name.length()).trim().split("\\s+");
                    return f[1].equals("unlimited") ? unlimited : Long.parseLong(f[1]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("read /proc/self/limits", e);
        }
        throw new IllegalStateException("no '" + name + "' in /proc/self/limits");
    }
}
