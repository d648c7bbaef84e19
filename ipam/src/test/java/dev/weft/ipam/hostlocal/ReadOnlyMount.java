package dev.weft.ipam.hostlocal;

import dev.weft.testkit.Cmd;
import java.nio.file.Path;

/**
 * Makes a directory read-only by bind-mounting it over itself read-only. Mode bits cannot do
 * this for root (it ignores them), but EROFS stops root too. Unmounted on close.
 */
final class ReadOnlyMount implements AutoCloseable {
    private final Path dir;

    private ReadOnlyMount(Path dir) {
        this.dir = dir;
    }

    static ReadOnlyMount of(Path dir) {
        Cmd.run("mount", "--bind", dir.toString(), dir.toString());
        try {
            Cmd.run("mount", "-o", "remount,bind,ro", dir.toString());
        } catch (RuntimeException e) {
            Cmd.tryRun("umount", dir.toString());
            throw e;
        }
        return new ReadOnlyMount(dir);
    }

    @Override
    public void close() {
        Cmd.run("umount", dir.toString());
    }
}
