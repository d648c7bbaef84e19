package dev.weft.libc;

import jnr.ffi.Pointer;

/**
 * The few libc entry points Weft needs, bound through JNR-FFI. Every call saves errno so that
 * callers can turn a -1 into an {@link ErrnoException}. Obtain the binding with {@link #get()}.
 *
 * <p>No JNR annotations here, on purpose: each annotation type costs a reflective proxy class at
 * start-up, and a CNI plugin lives for a fraction of a second. {@code size_t}/{@code ssize_t} are
 * plain {@code long} (64-bit on every platform Weft runs on), and errno saving is a loader option.
 */
public interface LibC {

    int socket(int domain, int type, int protocol);

    int bind(int fd, Pointer addr, int addrlen);

    int getsockname(int fd, Pointer addr, Pointer addrlen);

    int setsockopt(int fd, int level, int optname, Pointer optval, int optlen);

    int getsockopt(int fd, int level, int optname, Pointer optval, Pointer optlen);

    long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrlen);

    long recvfrom(int fd, Pointer buf, long len, int flags, Pointer addr, Pointer addrlen);

    long read(int fd, Pointer buf, long count);

    long write(int fd, Pointer buf, long count);

    int close(int fd);

    int open(String path, int flags, int mode);

    int fcntl(int fd, int cmd, int arg);

    /** ioctl with a pointer argument (struct ifreq and friends). */
    int ioctl(int fd, long request, Pointer arg);

    /** ioctl with an integer argument passed by value (TUNSETOFFLOAD, TUNSETPERSIST). */
    int ioctl(int fd, long request, long arg);

    int flock(int fd, int operation);

    int setns(int fd, int nstype);

    int unshare(int flags);

    int mount(String source, String target, String fstype, long flags, Pointer data);

    int umount2(String target, int flags);

    int gettid();

    /** poll(2) over an array of struct pollfd {int fd; short events; short revents;}. */
    int poll(Pointer fds, long nfds, int timeoutMillis);

    int if_nametoindex(String name);

    /** The binding, loaded on first use and shared by every caller. */
    static LibC get() {
        return Loaded.LIBC;
    }

    /** The JNR runtime that owns the binding, for allocating native memory. */
    static jnr.ffi.Runtime runtime() {
        return Loaded.RUNTIME;
    }

    /** errno of the last failed call on this thread. */
    static int errno() {
        return Loaded.RUNTIME.getLastError();
    }

    /** Holder idiom: the library is linked once, lazily, on the first call to {@link #get()}. */
    final class Loaded {
        static final LibC LIBC = jnr.ffi.LibraryLoader.create(LibC.class)
                .option(jnr.ffi.LibraryOption.SaveError, Boolean.TRUE).load("c");
        static final jnr.ffi.Runtime RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);

        private Loaded() {
        }
    }
}
