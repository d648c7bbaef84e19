package dev.weft.netns;

import static dev.weft.libc.Linux.CLONE_NEWNET;
import static dev.weft.libc.Linux.MNT_DETACH;
import static dev.weft.libc.Linux.MS_BIND;
import static dev.weft.libc.Linux.MS_REC;
import static dev.weft.libc.Linux.MS_SHARED;
import static dev.weft.libc.Linux.O_CLOEXEC;
import static dev.weft.libc.Linux.O_CREAT;
import static dev.weft.libc.Linux.O_EXCL;
import static dev.weft.libc.Linux.O_RDONLY;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An open handle on a network namespace (a file descriptor of an nsfs file such as
 * {@code /run/netns/x} or {@code /proc/<pid>/ns/net}). {@link #run} executes code inside it.
 *
 * <p>setns(2) switches only the calling OS thread, so every task runs on a fresh platform thread
 * that exists for that task alone and dies with it: no other code can ever run on a thread left in
 * the wrong namespace. Sockets and devices opened by the task stay bound to this namespace after
 * the thread is gone, which is how {@code RtNetlink.open(ns)} works.
 */
public final class NetNs implements AutoCloseable {
    /** Where {@code ip netns} keeps named namespaces. */
    public static final Path RUN_DIR = Paths.get("/run/netns");

    private final int fd;
    private final String path;
    private volatile boolean closed;

    private NetNs(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /** Opens a namespace by path; a path that does not exist gives ENOENT. */
    public static NetNs open(String path) {
        int fd = ErrnoException.check(LibC.get().open(path, O_RDONLY | O_CLOEXEC, 0), "open netns " + path);
        return new NetNs(fd, path);
    }

    /** Opens a named namespace as {@code ip netns} names it. */
    public static NetNs openNamed(String name) {
        return open(RUN_DIR.resolve(checkName(name)).toString());
    }

    /** The namespace of the calling thread. */
    public static NetNs current() {
        return open("/proc/thread-self/ns/net");
    }

    public int fd() {
        return fd;
    }

    public String path() {
        return path;
    }

    /** A task that may throw; its exception reaches the caller of {@link #run} unchanged. */
    @FunctionalInterface
    public interface Task<T, E extends Exception> {
        T call() throws E;
    }

    /** A task with no result. */
    @FunctionalInterface
    public interface VoidTask<E extends Exception> {
        void call() throws E;
    }

    /** Runs {@code task} inside this namespace on a dedicated thread and returns its result. */
    public <T, E extends Exception> T run(Task<T, E> task) throws E {
        if (closed) {
            throw new IllegalStateException("netns " + path + " is closed");
        }
        return onFreshThread("netns " + path, () -> {
            ErrnoException.check(LibC.get().setns(fd, CLONE_NEWNET), "setns " + path);
            return task.call();
        });
    }

    public <E extends Exception> void exec(VoidTask<E> task) throws E {
        run(() -> {
            task.call();
            return null;
        });
    }

    /**
     * Creates a named namespace the way {@code ip netns add} does: an nsfs bind mount under
     * {@link #RUN_DIR}, on a shared mount so other mount namespaces see it. EEXIST if it exists.
     */
    public static NetNs create(String name) {
        checkName(name);
        LibC c = LibC.get();
        try {
            Files.createDirectories(RUN_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException("create " + RUN_DIR, e);
        }
        makeRunDirShared(c);
        String target = RUN_DIR.resolve(name).toString();
        int f = ErrnoException.check(c.open(target, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0), "create " + target);
        c.close(f);
        try {
            onFreshThread("netns create " + name, () -> {
                ErrnoException.check(c.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)");
                ErrnoException.check(c.mount("/proc/thread-self/ns/net", target, "none", MS_BIND, 0L),
                        "bind-mount netns to " + target);
                return null;
            });
            return open(target);
        } catch (RuntimeException e) {
            c.umount2(target, MNT_DETACH);
            deleteQuietly(Paths.get(target));
            throw e;
        }
    }

    /** Deletes a named namespace as {@code ip netns del} does; a missing one gives ENOENT. */
    public static void delete(String name) {
        Path target = RUN_DIR.resolve(checkName(name));
        if (!Files.exists(target)) {
            throw new ErrnoException("delete netns " + name, Errno.ENOENT.number());
        }
        // The namespace itself lives on while anything still holds it (a process or an fd).
        LibC.get().umount2(target.toString(), MNT_DETACH);
        try {
            Files.delete(target);
        } catch (NoSuchFileException e) {
            // removed concurrently: the goal is reached
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + target, e);
        }
    }

    /** Whether a named namespace exists. */
    public static boolean exists(String name) {
        return Files.exists(RUN_DIR.resolve(checkName(name)));
    }

    private static void makeRunDirShared(LibC c) {
        String dir = RUN_DIR.toString();
        if (c.mount("", dir, "none", MS_SHARED | MS_REC, 0L) == 0) {
            return;
        }
        int err = LibC.errno();
        if (Errno.of(err) != Errno.EINVAL) {
            throw new ErrnoException("make " + dir + " a shared mount", err);
        }
        // Not a mount point yet: bind it onto itself first, as iproute2 does.
        ErrnoException.check(c.mount(dir, dir, "none", MS_BIND | MS_REC, 0L), "bind-mount " + dir);
        ErrnoException.check(c.mount("", dir, "none", MS_SHARED | MS_REC, 0L), "make " + dir + " a shared mount");
    }

    static String checkName(String name) {
        if (name == null || name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid netns name: \"" + name + "\"");
        }
        return name;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort during rollback; the original error is what the caller needs
        }
    }

    @SuppressWarnings("unchecked")
    private static <T, E extends Exception> T onFreshThread(String what, Task<T, E> body) throws E {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "weft-" + what);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the task must finish: its thread is in another namespace
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure.get();
        if (f == null) {
            return result.get();
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error er) {
            throw er;
        }
        throw (E) f;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.get().close(fd);
        }
    }

    @Override
    public String toString() {
        return "NetNs[" + path + "]";
    }
}
