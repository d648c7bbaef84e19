package dev.weft.fs;

import static dev.weft.libc.Linux.O_CLOEXEC;
import static dev.weft.libc.Linux.O_CREAT;
import static dev.weft.libc.Linux.O_DIRECTORY;
import static dev.weft.libc.Linux.O_EXCL;
import static dev.weft.libc.Linux.O_NOFOLLOW;
import static dev.weft.libc.Linux.O_RDONLY;
import static dev.weft.libc.Linux.O_WRONLY;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.NativeMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces a file whole, safely in a directory others may write to: the content goes to a new
 * temp file beside it, created exclusively under a random name ({@code O_CREAT|O_EXCL|O_NOFOLLOW},
 * so a planted symlink or file is never opened, let alone truncated), its mode set on the open
 * descriptor (fchmod: exact whatever the umask, and not redirectable like a chmod by path), synced,
 * renamed over the target (rename replaces a symlink at the target instead of following it), and
 * the directory synced so the rename survives a crash. A reader sees the old file or the new one.
 */
public final class AtomicFile {
    private static final String SUFFIX = ".tmp";
    private static final int RANDOM_HEX = 16;
    /** Names taken by someone else (a crash leftover, a planted file) are skipped this many times. */
    private static final int ATTEMPTS = 16;

    private AtomicFile() {
    }

    /** Writes {@code content} to {@code file} with exactly {@code mode} (e.g. 0644), as described above. */
    public static void write(Path file, byte[] content, int mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        LibC c = LibC.get();
        Path tmp = null;
        int fd = -1;
        for (int attempt = 1; fd < 0; attempt++) {
            tmp = dir.resolve(tempName(name));
            fd = c.open(tmp.toString(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) {
                int err = LibC.errno();
                if (Errno.of(err) != Errno.EEXIST || attempt == ATTEMPTS) {
                    throw failure("create " + tmp, err);
                }
            }
        }
        boolean renamed = false;
        try {
            try {
                check(c.fchmod(fd, mode), "fchmod " + tmp);
                writeAll(c, fd, content, tmp);
                check(c.fsync(fd), "fsync " + tmp);
            } finally {
                c.close(fd);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The first failure is the one to report; the leftover is recognisable by its name.
                }
            }
        }
        syncDirectory(dir);
    }

    /**
     * The name of the file a temp file of this class was written for, or null when {@code fileName}
     * is not such a temp file ({@code .<name>.<16 hex digits>.tmp}): for cleaning up after a crash.
     */
    public static String targetOf(String fileName) {
        int n = fileName.length();
        int dot = n - SUFFIX.length() - RANDOM_HEX - 1;
        if (dot < 2 || fileName.charAt(0) != '.' || !fileName.endsWith(SUFFIX) || fileName.charAt(dot) != '.') {
            return null;
        }
        for (int i = dot + 1; i < dot + 1 + RANDOM_HEX; i++) {
            if (Character.digit(fileName.charAt(i), 16) < 0) {
                return null;
            }
        }
        return fileName.substring(1, dot);
    }

    /**
     * A fresh random name for each attempt. Not SecureRandom (its start-up costs a CNI plugin
     * milliseconds): the name need not be secret, since O_EXCL never opens what someone planted.
     */
    private static String tempName(String name) {
        String hex = Long.toHexString(ThreadLocalRandom.current().nextLong());
        return "." + name + "." + "0".repeat(RANDOM_HEX - hex.length()) + hex + SUFFIX;
    }

    private static void writeAll(LibC c, int fd, byte[] content, Path tmp) throws IOException {
        if (content.length == 0) {
            return;
        }
        try (NativeMemory buf = NativeMemory.allocate(content.length)) {
            buf.put(0, content);
            long off = 0;
            while (off < content.length) {
                long n = c.write(fd, buf.address() + off, content.length - off);
                if (n < 0) {
                    int err = LibC.errno();
                    if (Errno.of(err) == Errno.EINTR) {
                        continue;
                    }
                    throw failure("write " + tmp, err);
                }
                off += n;
            }
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        LibC c = LibC.get();
        int fd = c.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        check(fd, "open directory " + dir);
        try {
            // Some file systems cannot sync a directory (EINVAL); their renames are as durable as they get.
            if (c.fsync(fd) < 0 && Errno.of(LibC.errno()) != Errno.EINVAL) {
                throw failure("fsync directory " + dir, LibC.errno());
            }
        } finally {
            c.close(fd);
        }
    }

    private static void check(int result, String operation) throws IOException {
        if (result < 0) {
            throw failure(operation, LibC.errno());
        }
    }

    private static IOException failure(String operation, int errno) {
        return new IOException(new ErrnoException(operation, errno).getMessage());
    }
}
