package dev.weft.netns;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.netlink.RtEvents;
import dev.weft.netlink.RtNetlink;
import dev.weft.sysctl.Sysctl;
import java.util.Optional;

/**
 * The one doorway to a network namespace (the reference plugins' {@code ns.WithNetNSPath}): a
 * namespace opened by path or name, or {@link #host()} — the caller's own — as a value rather than
 * a null. It runs code inside itself and holds a netlink client opened there on first use.
 *
 * <p>One rule for a namespace that is gone (its path does not exist, or is empty): {@link #open}
 * throws {@link NamespaceGoneException} (ADD and CHECK fail with it), {@link #openIfExists}
 * returns empty (DEL succeeds). Any other failure to open is thrown as it is by both.
 *
 * <p>Closing closes the netlink client and, for a namespace this class opened, the handle.
 */
public final class Namespace implements AutoCloseable {
    private final NetNs handle; // null for the host: the calling thread's own namespace needs no handle
    private final boolean owned;
    private RtNetlink netlink;

    private Namespace(NetNs handle, boolean owned) {
        this.handle = handle;
        this.owned = owned;
    }

    /** The namespace of the calling thread (the node's, for a plugin or weftd); code runs in place. */
    public static Namespace host() {
        return new Namespace(null, false);
    }

    /** Opens the namespace at {@code path}; a gone one gives {@link NamespaceGoneException}. */
    public static Namespace open(String path) {
        Optional<Namespace> ns = openIfExists(path);
        if (ns.isEmpty()) { // no lambda here: its bootstrap would cost every plugin start
            throw new NamespaceGoneException(path);
        }
        return ns.get();
    }

    /** Opens a namespace named as {@code ip netns} names it; a gone one gives {@link NamespaceGoneException}. */
    public static Namespace openNamed(String name) {
        return open(NetNs.RUN_DIR.resolve(NetNs.checkName(name)).toString());
    }

    /** Opens the namespace at {@code path}, or empty when it is gone (or the path is empty). */
    public static Optional<Namespace> openIfExists(String path) {
        if (path == null || path.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Namespace(NetNs.open(path), true));
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** A namespace whose handle the caller opened and keeps: closing this leaves the handle open. */
    public static Namespace borrow(NetNs handle) {
        if (handle == null) {
            throw new IllegalArgumentException("no handle: use Namespace.host() for the caller's own namespace");
        }
        return new Namespace(handle, false);
    }

    public boolean isHost() {
        return handle == null;
    }

    /** The nsfs path, or "host" for the caller's own namespace (for messages). */
    public String path() {
        return handle == null ? "host" : handle.path();
    }

    /** The handle's file descriptor (for IFLA_NET_NS_FD); the host namespace has none. */
    public int fd() {
        if (handle == null) {
            throw new IllegalStateException("the host namespace is not opened as a file; only another namespace has an fd");
        }
        return handle.fd();
    }

    /**
     * Runs {@code task} inside the namespace and returns its result: for another namespace on a
     * thread of its own (see {@link NetNs#run}), for the host on the calling thread.
     */
    public <T, E extends Exception> T run(NetNs.Task<T, E> task) throws E {
        return handle == null ? task.call() : handle.run(task);
    }

    public <E extends Exception> void exec(NetNs.VoidTask<E> task) throws E {
        if (handle == null) {
            task.call();
        } else {
            handle.exec(task);
        }
    }

    /** The netlink client of this namespace, opened on first use and closed with it. */
    public synchronized RtNetlink netlink() {
        if (netlink == null) {
            netlink = openNetlink();
        }
        return netlink;
    }

    /** A new netlink client bound to this namespace, for a caller that keeps and closes it itself. */
    public RtNetlink openNetlink() {
        return handle == null ? RtNetlink.open() : RtNetlink.open(handle);
    }

    /** A subscription to rtnetlink groups in this namespace; the caller closes it. */
    public RtEvents subscribe(int... groups) {
        return handle == null ? RtEvents.subscribe(groups) : RtEvents.subscribe(handle, groups);
    }

    /** Writes a sysctl of this namespace ({@code key} in path form when a name has a dot). */
    public void writeSysctl(String key, String value) {
        exec(() -> Sysctl.write(key, value));
    }

    @Override
    public synchronized void close() {
        try {
            if (netlink != null) {
                netlink.close();
                netlink = null;
            }
        } finally {
            if (owned) {
                handle.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Namespace[" + path() + "]";
    }
}
