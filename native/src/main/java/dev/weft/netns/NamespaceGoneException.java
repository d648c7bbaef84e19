package dev.weft.netns;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;

/**
 * The network namespace at a path does not exist (any more): the runtime already removed it, or
 * never made it. An {@link ErrnoException} with ENOENT, so code that maps errnos (a CNI plugin's
 * runner) reports it as before; code to which a gone namespace is success (a CNI DEL) asks
 * {@link Namespace#openIfExists} instead of catching this.
 */
public final class NamespaceGoneException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    private final String path;

    NamespaceGoneException(String path) {
        super("open netns " + path, Errno.ENOENT.number());
        this.path = path;
    }

    public String path() {
        return path;
    }
}
