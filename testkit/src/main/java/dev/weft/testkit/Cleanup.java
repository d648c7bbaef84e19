package dev.weft.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Book-keeping of everything this JVM created through the kit, so that a JVM shutdown hook can
 * remove whatever a test failed to close -- and nothing else.
 *
 * <p>Names are also appended to a per-JVM claims file under {@code /run/weft-testkit/}, so that the
 * leak check of a concurrently running test JVM does not mistake our live resources for its leaks.
 * Names are therefore registered (claimed) BEFORE the resource is created, never after: otherwise
 * another JVM's leak check could see the resource in between, unclaimed, and delete it.
 */
final class Cleanup {
    private Cleanup() {}

    static final Path CLAIMS_DIR = Path.of("/run/weft-testkit");
    private static final long PID = ProcessHandle.current().pid();
    /** Claims files are named pid-startMillis so that a reused pid is not mistaken for a live owner. */
    private static final String CLAIMS_NAME = PID + "-" + startMillis(ProcessHandle.current());

    private static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
    }

    private static final Set<String> NETNS = new LinkedHashSet<>();
    private static final Set<String> ROOT_LINKS = new LinkedHashSet<>();
    private static final Set<BackgroundProcess> PROCESSES = new LinkedHashSet<>();
    private static final Set<Path> DIRS = new LinkedHashSet<>();
    private static boolean hookInstalled;

    private static synchronized void ensureHook() {
        if (!hookInstalled) {
            hookInstalled = true;
            Runtime.getRuntime().addShutdownHook(new Thread(Cleanup::runShutdownCleanup, "weft-testkit-cleanup"));
        }
    }

    static synchronized void netnsCreated(String name) {
        ensureHook();
        NETNS.add(name);
        claim(name);
    }

    static synchronized void netnsRemoved(String name) {
        NETNS.remove(name);
    }

    /** A link this JVM created in the ROOT network namespace. */
    static synchronized void rootLinkCreated(String name) {
        ensureHook();
        ROOT_LINKS.add(name);
        claim(name);
    }

    static synchronized void rootLinkRemoved(String name) {
        ROOT_LINKS.remove(name);
    }

    static synchronized void processStarted(BackgroundProcess p) {
        ensureHook();
        PROCESSES.add(p);
    }

    static synchronized void processEnded(BackgroundProcess p) {
        PROCESSES.remove(p);
    }

    static synchronized void tempDirCreated(Path dir) {
        ensureHook();
        DIRS.add(dir);
    }

    static synchronized void tempDirRemoved(Path dir) {
        DIRS.remove(dir);
    }

    static synchronized Set<BackgroundProcess> liveProcesses() {
        PROCESSES.removeIf(p -> !p.isAlive());
        return Set.copyOf(PROCESSES);
    }

    private static Path claimsFile() {
        return CLAIMS_DIR.resolve(CLAIMS_NAME);
    }

    private static void claim(String name) {
        try {
            Files.createDirectories(CLAIMS_DIR);
            Files.writeString(claimsFile(), name + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // best effort: claims only protect concurrently running JVMs from false leak reports
        }
    }

    /** Names created through the kit by OTHER live JVMs on this machine. */
    static Set<String> claimedByOtherJvms() {
        Set<String> names = new HashSet<>();
        if (!Files.isDirectory(CLAIMS_DIR)) {
            return names;
        }
        try (Stream<Path> files = Files.list(CLAIMS_DIR)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String fn = f.getFileName().toString();
                if (fn.equals(CLAIMS_NAME) || !ownerAlive(fn)) {
                    continue;
                }
                try {
                    names.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // vanished meanwhile
                }
            }
        } catch (IOException e) {
            // unreadable: no protection, but no harm to this JVM's own checks
        }
        return names;
    }

    private static boolean ownerAlive(String claimsName) {
        int dash = claimsName.indexOf('-');
        if (dash < 0) {
            return false;
        }
        try {
            long pid = Long.parseLong(claimsName.substring(0, dash));
            long start = Long.parseLong(claimsName.substring(dash + 1));
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(h -> start == 0 || startMillis(h) == start).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static void deleteNetnsQuietly(String name) {
        Cmd.tryRun(Duration.ofSeconds(10), "ip", "netns", "del", name);
        netnsRemoved(name);
    }

    static void deleteRootLinkQuietly(String name) {
        Cmd.tryRun(Duration.ofSeconds(10), "ip", "link", "del", "dev", name);
        rootLinkRemoved(name);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void runShutdownCleanup() {
        List<BackgroundProcess> procs;
        List<String> links;
        List<String> netns;
        List<Path> dirs;
        synchronized (Cleanup.class) {
            procs = new ArrayList<>(PROCESSES);
            links = new ArrayList<>(ROOT_LINKS);
            netns = new ArrayList<>(NETNS);
            dirs = new ArrayList<>(DIRS);
        }
        if (!procs.isEmpty() || !links.isEmpty() || !netns.isEmpty()) {
            System.err.println("[weft-testkit] shutdown hook removing leftovers of this JVM: processes="
                    + procs.stream().map(BackgroundProcess::pid).toList() + " rootLinks=" + links + " netns=" + netns);
        }
        for (BackgroundProcess p : procs) {
            try {
                p.kill();
            } catch (RuntimeException e) {
                // keep going
            }
        }
        for (String l : links) {
            try {
                deleteRootLinkQuietly(l);
            } catch (RuntimeException e) {
                // keep going
            }
        }
        for (String n : netns) {
            try {
                deleteNetnsQuietly(n);
            } catch (RuntimeException e) {
                // keep going
            }
        }
        for (Path d : dirs) {
            try {
                deleteTree(d);
            } catch (IOException | RuntimeException e) {
                // keep going
            }
        }
        try {
            Files.deleteIfExists(claimsFile());
        } catch (IOException e) {
            // ignore
        }
    }
}
