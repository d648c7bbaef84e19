package dev.weft.libc;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;

/**
 * {@link LibC} on jffi, the native-call core underneath JNR-FFI, called directly: one symbol lookup
 * and one call context per function, no proxies, no generated stubs. JNR's own library loader
 * spends tens of milliseconds building those at start-up, which is most of a CNI plugin's life.
 * Pointer arguments are native addresses; every call saves errno.
 */
final class JffiLibC implements LibC {
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final Library lib;

    JffiLibC() {
        lib = Library.getCachedInstance("libc.so.6", Library.LAZY | Library.GLOBAL);
        if (lib == null) {
            throw new IllegalStateException("cannot open libc.so.6: " + Library.getLastError());
        }
        socket = new Fn("socket", I, I, I, I);
        bind = new Fn("bind", I, I, P, I);
        connect = new Fn("connect", I, I, P, I);
        getsockname = new Fn("getsockname", I, I, P, P);
        setsockopt = new Fn("setsockopt", I, I, I, I, P, I);
        getsockopt = new Fn("getsockopt", I, I, I, I, P, P);
        sendto = new Fn("sendto", L, I, P, L, I, P, I);
        recvfrom = new Fn("recvfrom", L, I, P, L, I, P, P);
        recvmsg = new Fn("recvmsg", L, I, P, I);
        sendmmsg = new Fn("sendmmsg", I, I, P, I, I);
        recvmmsg = new Fn("recvmmsg", I, I, P, I, I, P);
        read = new Fn("read", L, I, P, L);
        write = new Fn("write", L, I, P, L);
        close = new Fn("close", I, I);
        open = new Fn("open", I, P, I, I);
        fchmod = new Fn("fchmod", I, I, I);
        fsync = new Fn("fsync", I, I);
        fcntl = new Fn("fcntl", I, I, I, I);
        ioctl = new Fn("ioctl", I, I, L, L);
        flock = new Fn("flock", I, I, I);
        setns = new Fn("setns", I, I, I);
        unshare = new Fn("unshare", I, I);
        eventfd = new Fn("eventfd", I, I, I);
        mount = new Fn("mount", I, P, P, P, L, P);
        umount2 = new Fn("umount2", I, P, I);
        gettid = new Fn("gettid", I);
        ifNameToIndex = new Fn("if_nametoindex", I, P);
        poll = new Fn("poll", I, P, L, I);
        syscall = new Fn("syscall", L, L, L, L, L);
    }

    /** One bound function: its address and how to call it. */
    private final class Fn {
        final long address;
        final CallContext ctx;

        Fn(String name, Type ret, Type... params) {
            address = lib.getSymbolAddress(name);
            if (address == 0) {
                throw new IllegalStateException("libc has no " + name + ": " + Library.getLastError());
            }
            ctx = CallContext.getCallContext(ret, params, CallingConvention.DEFAULT, true);
        }
    }

    private static final Type I = Type.SINT32;
    private static final Type L = Type.SLONG;
    private static final Type P = Type.POINTER;

    // Bound once, up front: a symbol lookup and a call context each, well under a millisecond in all.
    private final Fn socket;
    private final Fn bind;
    private final Fn connect;
    private final Fn getsockname;
    private final Fn setsockopt;
    private final Fn getsockopt;
    private final Fn sendto;
    private final Fn recvfrom;
    private final Fn recvmsg;
    private final Fn sendmmsg;
    private final Fn recvmmsg;
    private final Fn read;
    private final Fn write;
    private final Fn close;
    private final Fn open;
    private final Fn fchmod;
    private final Fn fsync;
    private final Fn fcntl;
    private final Fn ioctl;
    private final Fn flock;
    private final Fn setns;
    private final Fn unshare;
    private final Fn eventfd;
    private final Fn mount;
    private final Fn umount2;
    private final Fn gettid;
    private final Fn ifNameToIndex;
    private final Fn poll;
    private final Fn syscall;

    /** A NUL-terminated copy of a Java string in native memory; free with {@link #free}. */
    private static long cstr(String s) {
        if (s == null) {
            return 0L;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long m = IO.allocateMemory(b.length + 1, true);
        IO.putByteArray(m, b, 0, b.length);
        return m;
    }

    private static void free(long m) {
        if (m != 0) {
            IO.freeMemory(m);
        }
    }

    // One overload per arity: no varargs array per call (read/write may sit on a packet path).
    private static long call(Fn f) {
        return INVOKER.invokeL0(f.ctx, f.address);
    }

    private static int i(Fn f) {
        return (int) call(f);
    }

    private static long call(Fn f, long a) {
        return INVOKER.invokeL1(f.ctx, f.address, a);
    }

    private static int i(Fn f, long a) {
        return (int) call(f, a);
    }

    private static long call(Fn f, long a, long b) {
        return INVOKER.invokeL2(f.ctx, f.address, a, b);
    }

    private static int i(Fn f, long a, long b) {
        return (int) call(f, a, b);
    }

    private static long call(Fn f, long a, long b, long c) {
        return INVOKER.invokeL3(f.ctx, f.address, a, b, c);
    }

    private static int i(Fn f, long a, long b, long c) {
        return (int) call(f, a, b, c);
    }

    private static long call(Fn f, long a, long b, long c, long d) {
        return INVOKER.invokeL4(f.ctx, f.address, a, b, c, d);
    }

    private static int i(Fn f, long a, long b, long c, long d) {
        return (int) call(f, a, b, c, d);
    }

    private static long call(Fn f, long a, long b, long c, long d, long e) {
        return INVOKER.invokeL5(f.ctx, f.address, a, b, c, d, e);
    }

    private static int i(Fn f, long a, long b, long c, long d, long e) {
        return (int) call(f, a, b, c, d, e);
    }

    private static long call(Fn f, long a, long b, long c, long d, long e, long g) {
        return INVOKER.invokeL6(f.ctx, f.address, a, b, c, d, e, g);
    }

    private static int i(Fn f, long a, long b, long c, long d, long e, long g) {
        return (int) call(f, a, b, c, d, e, g);
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        return i(socket, domain, type, protocol);
    }

    @Override
    public int bind(int fd, long addr, int addrlen) {
        return i(bind, fd, addr, addrlen);
    }

    @Override
    public int connect(int fd, long addr, int addrlen) {
        return i(connect, fd, addr, addrlen);
    }

    @Override
    public int getsockname(int fd, long addr, long addrlen) {
        return i(getsockname, fd, addr, addrlen);
    }

    @Override
    public int setsockopt(int fd, int level, int optname, long optval, int optlen) {
        return i(setsockopt, fd, level, optname, optval, optlen);
    }

    @Override
    public int getsockopt(int fd, int level, int optname, long optval, long optlen) {
        return i(getsockopt, fd, level, optname, optval, optlen);
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        return call(sendto, fd, buf, len, flags, addr, addrlen);
    }

    @Override
    public long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlen) {
        return call(recvfrom, fd, buf, len, flags, addr, addrlen);
    }

    @Override
    public long recvmsg(int fd, long msghdr, int flags) {
        return call(recvmsg, fd, msghdr, flags);
    }

    @Override
    public int sendmmsg(int fd, long msgvec, int vlen, int flags) {
        return i(sendmmsg, fd, msgvec, vlen, flags);
    }

    @Override
    public int recvmmsg(int fd, long msgvec, int vlen, int flags) {
        return i(recvmmsg, fd, msgvec, vlen, flags, 0L); // no timeout: a non-blocking fd returns at once
    }

    @Override
    public long read(int fd, long buf, long count) {
        return call(read, fd, buf, count);
    }

    @Override
    public long write(int fd, long buf, long count) {
        return call(write, fd, buf, count);
    }

    @Override
    public int close(int fd) {
        return i(close, fd);
    }

    @Override
    public int open(String path, int flags, int mode) {
        long p = cstr(path);
        try {
            return i(open, p, flags, mode);
        } finally {
            free(p);
        }
    }

    @Override
    public int fchmod(int fd, int mode) {
        return i(fchmod, fd, mode);
    }

    @Override
    public int fsync(int fd) {
        return i(fsync, fd);
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        return i(fcntl, fd, cmd, arg);
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        return i(ioctl, fd, request, arg);
    }

    @Override
    public int flock(int fd, int operation) {
        return i(flock, fd, operation);
    }

    @Override
    public int setns(int fd, int nstype) {
        return i(setns, fd, nstype);
    }

    @Override
    public int unshare(int flags) {
        return i(unshare, flags);
    }

    @Override
    public int eventfd(int initval, int flags) {
        return i(eventfd, initval, flags);
    }

    @Override
    public int mount(String source, String target, String fstype, long flags, long data) {
        long s = cstr(source);
        long t = cstr(target);
        long y = cstr(fstype);
        try {
            return i(mount, s, t, y, flags, data);
        } finally {
            free(s);
            free(t);
            free(y);
        }
    }

    @Override
    public int umount2(String target, int flags) {
        long t = cstr(target);
        try {
            return i(umount2, t, flags);
        } finally {
            free(t);
        }
    }

    @Override
    public int gettid() {
        return i(gettid);
    }

    @Override
    public int if_nametoindex(String name) {
        long n = cstr(name);
        try {
            return i(ifNameToIndex, n);
        } finally {
            free(n);
        }
    }

    @Override
    public int poll(long fds, long nfds, int timeoutMillis) {
        return i(poll, fds, nfds, timeoutMillis);
    }

    @Override
    public long syscall(long number, long a, long b, long c) {
        return call(syscall, number, a, b, c);
    }
}
