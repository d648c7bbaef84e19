package dev.weft.netlink;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;

/**
 * The kernel refused a netlink request. {@link #errno()} says why (EEXIST, ENOENT, EBUSY …);
 * the message names the request and, where the kernel gave one, its extended-ACK text.
 */
public class NetlinkException extends ErrnoException {
    private static final long serialVersionUID = 1L;

    private final String request;
    private final String kernelMessage;

    public NetlinkException(String request, int rawErrno, String kernelMessage) {
        super(request, rawErrno, kernelMessage);
        this.request = request;
        this.kernelMessage = kernelMessage;
    }

    /** What was asked of the kernel, e.g. "add route 10.0.0.0/24 dev #3". */
    public String request() {
        return request;
    }

    /** The kernel's extended-ACK message, or null when it sent none. */
    public String kernelMessage() {
        return kernelMessage;
    }

    /** True for the errnos that mean "no such object": ENOENT, ESRCH, ENODEV, EADDRNOTAVAIL. */
    public boolean isNotFound() {
        return switch (errno()) {
            case ENOENT, ESRCH, ENODEV, EADDRNOTAVAIL -> true;
            default -> false;
        };
    }

    /** The same failure reported under another errno; the kernel's own is kept in the message. */
    NetlinkException as(Errno other) {
        String detail = "kernel answered " + errno().name() + (kernelMessage == null ? "" : ": " + kernelMessage);
        NetlinkException e = new NetlinkException(request, other.number(), detail);
        e.initCause(this);
        return e;
    }
}
