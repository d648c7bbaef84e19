package dev.weft.lock;

import static dev.weft.libc.Linux.LOCK_EX;
import static dev.weft.libc.Linux.LOCK_NB;
import static dev.weft.libc.Linux.LOCK_SH;
import static dev.weft.libc.Linux.O_CLOEXEC;
import static dev.weft.libc.Linux.O_CREAT;
import static dev.weft.libc.Linux.O_NOFOLLOW;
import static dev.weft.libc.Linux.O_RDWR;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An flock(2) lock on a file, held until {@link #close()}. The reference host-local plugin locks
 * its store with flock; Java's FileChannel.lock takes fcntl (POSIX) locks, which do not exclude
 * flock holders, so interoperating with it needs this.
 */
public final class Flock implements AutoCloseable {
    private final int fd;
    private final Path path;
    private boolean released;

    private Flock(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /** Blocks until an exclusive lock is held; creates the file (0644) if missing; refuses a symlink (ELOOP). */
    public static Flock exclusive(Path file) {
        return acquire(file, LOCK_EX).orElseThrow();
    }

    /** Blocks until a shared lock is held. */
    public static Flock shared(Path file) {
        return acquire(file, LOCK_SH).orElseThrow();
    }

    /** Takes an exclusive lock if it is free right now. */
    public static Optional<Flock> tryExclusive(Path file) {
        return acquire(file, LOCK_EX | LOCK_NB);
    }

    private static Optional<Flock> acquire(Path file, int op) {
        LibC c = LibC.get();
        // O_NOFOLLOW: a symlink planted at the lock's name must not make us create or open its target.
        int fd = ErrnoException.check(c.open(file.toString(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644), "open " + file);
        while (true) {
            if (c.flock(fd, op) == 0) {
                return Optional.of(new Flock(fd, file));
            }
            int err = LibC.errno();
            if (Errno.of(err) == Errno.EINTR) {
                continue;
            }
            c.close(fd);
            if (Errno.of(err) == Errno.EAGAIN && (op & LOCK_NB) != 0) {
                return Optional.empty();
            }
            throw new ErrnoException("flock " + file, err);
        }
    }

    public Path path() {
        return path;
    }

    /** Releases the lock by closing the descriptor, which drops every flock it held. */
    @Override
    public void close() {
        if (!released) {
            released = true;
            LibC.get().close(fd);
        }
    }
}
