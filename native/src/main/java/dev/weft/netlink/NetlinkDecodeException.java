package dev.weft.netlink;

import dev.weft.libc.Errno;
import java.nio.ByteBuffer;

/**
 * A message from the kernel did not have the shape its type promises (a body shorter than its
 * fixed header, a prefix longer than its address). Errno EBADMSG, so callers that handle
 * {@link NetlinkException} handle this too; the codecs throw nothing else on bad input.
 */
public final class NetlinkDecodeException extends NetlinkException {
    private static final long serialVersionUID = 1L;

    NetlinkDecodeException(String what, String problem) {
        super("decode " + what, Errno.EBADMSG.number(), problem);
    }

    /**
     * Checks that [from, to) lies in the buffer and holds at least the {@code header} bytes of
     * the object's fixed struct (ifinfomsg, rtmsg …), so that the codec may read them unchecked.
     */
    static void requireBody(ByteBuffer b, int from, int to, int header, String what) {
        if (from < 0 || to > b.limit() || from > to) {
            throw new NetlinkDecodeException(what, "payload [" + from + ", " + to + ") outside the buffer of " + b.limit());
        }
        if (to - from < header) {
            throw new NetlinkDecodeException(what, "body of " + (to - from) + " bytes, the header alone is " + header);
        }
    }
}
