package dev.weft.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.Victim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** flock(2) interoperates with other flock holders: util-linux flock(1), as the reference plugins use. */
class FlockTest {

    @Test
    void ourLockExcludesFlockToolAndIsReleasedOnClose(@TempDir Path dir) {
        Path lock = dir.resolve("lock");
        try (Flock held = Flock.exclusive(lock)) {
            assertTrue(Files.exists(lock));
            assertEquals(1, Cmd.tryRun("flock", "-n", lock.toString(), "true").exitCode(), "flock(1) must see our lock");
        }
        assertEquals(0, Cmd.tryRun("flock", "-n", lock.toString(), "true").exitCode(), "released on close");
    }

    @Test
    void theirLockExcludesUsUntilTheyLetGo(@TempDir Path dir) throws Exception {
        Path lock = dir.resolve("lock");
        Files.createFile(lock);
        // -o: only flock(1) itself holds the lock, not its child, so the lock ends with it.
        Process holder = new ProcessBuilder("flock", "-o", lock.toString(), "sleep", "4").start(); // long enough to be seen holding it on a loaded machine
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (Cmd.tryRun("flock", "-n", lock.toString(), "true").exitCode() == 0) {
                assertTrue(System.nanoTime() < deadline, "flock(1) never took the lock");
                Thread.sleep(10);
            }
            assertTrue(Flock.tryExclusive(lock).isEmpty(), "an flock holder must exclude us");
            assertEquals(0, holder.waitFor(), "flock(1) holder ended normally");
        } finally {
            holder.destroyForcibly().waitFor();
        }
        try (Flock mine = Flock.tryExclusive(lock).orElseThrow()) {
            assertEquals(lock, mine.path());
        }
    }

    @Test
    void fcntlLocksWouldNotHaveWorked(@TempDir Path dir) throws Exception {
        // Why this class exists: Java's own FileChannel.lock does not exclude an flock holder.
        Path lock = dir.resolve("lock");
        try (Flock held = Flock.exclusive(lock);
             var ch = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.WRITE);
             var posix = ch.tryLock()) {
            assertTrue(posix != null, "fcntl lock granted despite our flock: the two kinds do not see each other");
        }
    }

    @Test
    void aSymlinkAtTheLockNameIsRefused(@TempDir Path dir) throws Exception {
        try (Victim v = Victim.missing()) {
            Path lock = v.plantAt(dir.resolve("lock"));
            ErrnoException e = assertThrows(ErrnoException.class, () -> Flock.exclusive(lock));
            assertEquals(Errno.ELOOP, e.errno(), e.getMessage());
            v.assertUntouched();
        }
    }
}
