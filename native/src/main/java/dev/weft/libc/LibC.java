package dev.weft.libc;


/**
 * The few libc entry points Weft needs. Every call saves errno so that callers can turn a -1 into
 * an {@link ErrnoException}. Obtain the binding with {@link #get()}; it is {@link JffiLibC}, which
 * calls through jffi (JNR-FFI's native core) directly because JNR's library loader costs a CNI
 * plugin tens of milliseconds per start. Pointer arguments are native addresses
 * ({@link NativeMemory}, or a direct buffer's); {@code size_t} and {@code ssize_t} are {@code long}
 * (64-bit on every platform Weft runs on).
 */
public interface LibC {

    int socket(int domain, int type, int protocol);

    int bind(int fd, long addr, int addrlen);

    int connect(int fd, long addr, int addrlen);

    int getsockname(int fd, long addr, long addrlen);

    int setsockopt(int fd, int level, int optname, long optval, int optlen);

    int getsockopt(int fd, int level, int optname, long optval, long optlen);

    long sendto(int fd, long buf, long len, int flags, long addr, int addrlen);

    long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlen);

    /** recvmsg(2); {@code msghdr} is the address of a struct msghdr. */
    long recvmsg(int fd, long msghdr, int flags);

    /** sendmmsg(2); {@code msgvec} is the address of {@code vlen} struct mmsghdr. Returns how many went. */
    int sendmmsg(int fd, long msgvec, int vlen, int flags);

    /**
     * recvmmsg(2) without a timeout; {@code msgvec} is the address of {@code vlen} struct mmsghdr,
     * each msg_len set to the bytes read. Returns how many were read, or −1 with errno.
     */
    int recvmmsg(int fd, long msgvec, int vlen, int flags);

    long read(int fd, long buf, long count);

    long write(int fd, long buf, long count);

    int close(int fd);

    int open(String path, int flags, int mode);

    /** Sets the mode of an open file: unlike chmod(2) on a path, it cannot be redirected by a symlink. */
    int fchmod(int fd, int mode);

    int fsync(int fd);

    int fcntl(int fd, int cmd, int arg);

    /** ioctl; {@code arg} is an address (struct ifreq and friends) or a value (TUNSETOFFLOAD). */
    int ioctl(int fd, long request, long arg);

    int flock(int fd, int operation);

    int setns(int fd, int nstype);

    int unshare(int flags);

    /** eventfd(2): a counter file descriptor one thread can write to wake another's poll(2). */
    int eventfd(int initval, int flags);

    int mount(String source, String target, String fstype, long flags, long data);

    int umount2(String target, int flags);

    int gettid();

    /** poll(2) over an array of struct pollfd {int fd; short events; short revents;}. */
    int poll(long fds, long nfds, int timeoutMillis);

    int if_nametoindex(String name);

    /** syscall(2) with three arguments, for calls libc does not wrap (bpf(2)); −1 with errno on failure. */
    long syscall(long number, long a, long b, long c);

    /** The binding, loaded on first use and shared by every caller. */
    static LibC get() {
        return Loaded.LIBC;
    }

    /** errno of the last failed call on this thread. */
    static int errno() {
        return com.kenai.jffi.LastError.getInstance().get();
    }

    /** Holder idiom: libc is opened once, lazily, on the first call to {@link #get()}. */
    final class Loaded {
        static final LibC LIBC = new JffiLibC();

        private Loaded() {
        }
    }
}
