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

    // Bound on first use: a plugin run needs only a few of them.
    private volatile Fn socket;
    private volatile Fn bind;
    private volatile Fn getsockname;
    private volatile Fn setsockopt;
    private volatile Fn getsockopt;
    private volatile Fn sendto;
    private volatile Fn recvfrom;
    private volatile Fn read;
    private volatile Fn write;
    private volatile Fn close;
    private volatile Fn open;
    private volatile Fn fcntl;
    private volatile Fn ioctl;
    private volatile Fn flock;
    private volatile Fn setns;
    private volatile Fn unshare;
    private volatile Fn mount;
    private volatile Fn umount2;
    private volatile Fn gettid;
    private volatile Fn ifNameToIndex;
    private volatile Fn poll;

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

    private static int i(Fn f, long... args) {
        return (int) call(f, args);
    }

    private static long call(Fn f, long... args) {
        switch (args.length) {
            case 0: return INVOKER.invokeL0(f.ctx, f.address);
            case 1: return INVOKER.invokeL1(f.ctx, f.address, args[0]);
            case 2: return INVOKER.invokeL2(f.ctx, f.address, args[0], args[1]);
            case 3: return INVOKER.invokeL3(f.ctx, f.address, args[0], args[1], args[2]);
            case 4: return INVOKER.invokeL4(f.ctx, f.address, args[0], args[1], args[2], args[3]);
            case 5: return INVOKER.invokeL5(f.ctx, f.address, args[0], args[1], args[2], args[3], args[4]);
            case 6: return INVOKER.invokeL6(f.ctx, f.address, args[0], args[1], args[2], args[3], args[4], args[5]);
            default: throw new IllegalArgumentException("too many arguments");
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        Fn f = socket;
        if (f == null) {
            socket = f = new Fn("socket", I, I, I, I);
        }
        return i(f, domain, type, protocol);
    }

    @Override
    public int bind(int fd, long addr, int addrlen) {
        Fn f = bind;
        if (f == null) {
            bind = f = new Fn("bind", I, I, P, I);
        }
        return i(f, fd, addr, addrlen);
    }

    @Override
    public int getsockname(int fd, long addr, long addrlen) {
        Fn f = getsockname;
        if (f == null) {
            getsockname = f = new Fn("getsockname", I, I, P, P);
        }
        return i(f, fd, addr, addrlen);
    }

    @Override
    public int setsockopt(int fd, int level, int optname, long optval, int optlen) {
        Fn f = setsockopt;
        if (f == null) {
            setsockopt = f = new Fn("setsockopt", I, I, I, I, P, I);
        }
        return i(f, fd, level, optname, optval, optlen);
    }

    @Override
    public int getsockopt(int fd, int level, int optname, long optval, long optlen) {
        Fn f = getsockopt;
        if (f == null) {
            getsockopt = f = new Fn("getsockopt", I, I, I, I, P, P);
        }
        return i(f, fd, level, optname, optval, optlen);
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        Fn f = sendto;
        if (f == null) {
            sendto = f = new Fn("sendto", L, I, P, L, I, P, I);
        }
        return call(f, fd, buf, len, flags, addr, addrlen);
    }

    @Override
    public long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlen) {
        Fn f = recvfrom;
        if (f == null) {
            recvfrom = f = new Fn("recvfrom", L, I, P, L, I, P, P);
        }
        return call(f, fd, buf, len, flags, addr, addrlen);
    }

    @Override
    public long read(int fd, long buf, long count) {
        Fn f = read;
        if (f == null) {
            read = f = new Fn("read", L, I, P, L);
        }
        return call(f, fd, buf, count);
    }

    @Override
    public long write(int fd, long buf, long count) {
        Fn f = write;
        if (f == null) {
            write = f = new Fn("write", L, I, P, L);
        }
        return call(f, fd, buf, count);
    }

    @Override
    public int close(int fd) {
        Fn f = close;
        if (f == null) {
            close = f = new Fn("close", I, I);
        }
        return i(f, fd);
    }

    @Override
    public int open(String path, int flags, int mode) {
        Fn f = open;
        if (f == null) {
            open = f = new Fn("open", I, P, I, I);
        }
        long p = cstr(path);
        try {
            return i(f, p, flags, mode);
        } finally {
            free(p);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, int arg) {
        Fn f = fcntl;
        if (f == null) {
            fcntl = f = new Fn("fcntl", I, I, I, I);
        }
        return i(f, fd, cmd, arg);
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        Fn f = ioctl;
        if (f == null) {
            ioctl = f = new Fn("ioctl", I, I, L, L);
        }
        return i(f, fd, request, arg);
    }

    @Override
    public int flock(int fd, int operation) {
        Fn f = flock;
        if (f == null) {
            flock = f = new Fn("flock", I, I, I);
        }
        return i(f, fd, operation);
    }

    @Override
    public int setns(int fd, int nstype) {
        Fn f = setns;
        if (f == null) {
            setns = f = new Fn("setns", I, I, I);
        }
        return i(f, fd, nstype);
    }

    @Override
    public int unshare(int flags) {
        Fn f = unshare;
        if (f == null) {
            unshare = f = new Fn("unshare", I, I);
        }
        return i(f, flags);
    }

    @Override
    public int mount(String source, String target, String fstype, long flags, long data) {
        Fn f = mount;
        if (f == null) {
            mount = f = new Fn("mount", I, P, P, P, L, P);
        }
        long s = cstr(source);
        long t = cstr(target);
        long y = cstr(fstype);
        try {
            return i(f, s, t, y, flags, data);
        } finally {
            free(s);
            free(t);
            free(y);
        }
    }

    @Override
    public int umount2(String target, int flags) {
        Fn f = umount2;
        if (f == null) {
            umount2 = f = new Fn("umount2", I, P, I);
        }
        long t = cstr(target);
        try {
            return i(f, t, flags);
        } finally {
            free(t);
        }
    }

    @Override
    public int gettid() {
        Fn f = gettid;
        if (f == null) {
            gettid = f = new Fn("gettid", I);
        }
        return i(f);
    }

    @Override
    public int if_nametoindex(String name) {
        Fn f = ifNameToIndex;
        if (f == null) {
            ifNameToIndex = f = new Fn("if_nametoindex", I, P);
        }
        long n = cstr(name);
        try {
            return i(f, n);
        } finally {
            free(n);
        }
    }

    @Override
    public int poll(long fds, long nfds, int timeoutMillis) {
        Fn f = poll;
        if (f == null) {
            poll = f = new Fn("poll", I, P, L, I);
        }
        return i(f, fds, nfds, timeoutMillis);
    }
}
