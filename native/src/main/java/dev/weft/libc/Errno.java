package dev.weft.libc;

/**
 * Linux errno values (x86_64 and arm64 share these numbers). Kept as an enum so that callers can
 * tell errors apart with {@code ==} rather than comparing magic numbers or message text.
 */
public enum Errno {
    EPERM(1), ENOENT(2), ESRCH(3), EINTR(4), EIO(5), ENXIO(6), E2BIG(7), ENOEXEC(8), EBADF(9),
    ECHILD(10), EAGAIN(11), ENOMEM(12), EACCES(13), EFAULT(14), ENOTBLK(15), EBUSY(16),
    EEXIST(17), EXDEV(18), ENODEV(19), ENOTDIR(20), EISDIR(21), EINVAL(22), ENFILE(23),
    EMFILE(24), ENOTTY(25), ETXTBSY(26), EFBIG(27), ENOSPC(28), ESPIPE(29), EROFS(30),
    EMLINK(31), EPIPE(32), EDOM(33), ERANGE(34), EDEADLK(35), ENAMETOOLONG(36), ENOLCK(37),
    ENOSYS(38), ENOTEMPTY(39), ELOOP(40), ENOMSG(42), EIDRM(43), ENOSTR(60), ENODATA(61),
    ETIME(62), ENOSR(63), ENONET(64), ENOLINK(67), EPROTO(71), EBADMSG(74), EOVERFLOW(75),
    EILSEQ(84), EUSERS(87), ENOTSOCK(88), EDESTADDRREQ(89), EMSGSIZE(90), EPROTOTYPE(91),
    ENOPROTOOPT(92), EPROTONOSUPPORT(93), ESOCKTNOSUPPORT(94), EOPNOTSUPP(95),
    EPFNOSUPPORT(96), EAFNOSUPPORT(97), EADDRINUSE(98), EADDRNOTAVAIL(99), ENETDOWN(100),
    ENETUNREACH(101), ENETRESET(102), ECONNABORTED(103), ECONNRESET(104), ENOBUFS(105),
    EISCONN(106), ENOTCONN(107), ESHUTDOWN(108), ETOOMANYREFS(109), ETIMEDOUT(110),
    ECONNREFUSED(111), EHOSTDOWN(112), EHOSTUNREACH(113), EALREADY(114), EINPROGRESS(115),
    ESTALE(116), EDQUOT(122), ECANCELED(125), ENOKEY(126), EKEYEXPIRED(127),
    EOWNERDEAD(130), ERFKILL(132), EHWPOISON(133),
    /** Any number not listed above; the raw value is kept by {@link ErrnoException}. */
    UNKNOWN(-1);

    private static final Errno[] BY_NUMBER = new Errno[134];

    static {
        for (Errno e : values()) {
            if (e.number > 0) {
                BY_NUMBER[e.number] = e;
            }
        }
    }

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The enum constant for a raw errno (sign ignored, since netlink reports it negated). */
    public static Errno of(int raw) {
        int n = Math.abs(raw);
        Errno e = n < BY_NUMBER.length ? BY_NUMBER[n] : null;
        return e == null ? UNKNOWN : e;
    }
}
