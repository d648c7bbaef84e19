package dev.weft.ipam.socket;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Length-prefixed frames: a 4-byte big-endian length, then the payload; the length is checked before anything is read. */
public final class IpamFrame {
    /** Largest payload either side accepts: a request names one pod, a GC request every pod of a node. */
    public static final int MAX_BYTES = 64 * 1024;

    private IpamFrame() {
    }

    /** A frame that breaks the protocol (too long, negative, cut short). */
    public static final class BadFrameException extends IOException {
        private static final long serialVersionUID = 1L;

        public BadFrameException(String msg) {
            super(msg);
        }
    }

    /** The next frame's payload, or null at a clean end of stream before any byte of it. */
    public static byte[] read(InputStream in) throws IOException {
        byte[] len = new byte[4];
        int got = in.readNBytes(len, 0, 4);
        if (got == 0) {
            return null;
        }
        if (got < 4) {
            throw new BadFrameException("the stream ended inside a frame's length");
        }
        int n = ((len[0] & 0xff) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
        if (n < 0 || n > MAX_BYTES) {
            throw new BadFrameException("a frame of " + Integer.toUnsignedString(n) + " bytes is longer than the limit of "
                    + MAX_BYTES);
        }
        byte[] body = in.readNBytes(n);
        if (body.length < n) {
            throw new EOFException("the stream ended after " + body.length + " of a frame's " + n + " bytes");
        }
        return body;
    }

    public static void write(OutputStream out, byte[] payload) throws IOException {
        if (payload.length > MAX_BYTES) {
            throw new BadFrameException("a frame of " + payload.length + " bytes is longer than the limit of " + MAX_BYTES);
        }
        int n = payload.length;
        byte[] frame = new byte[4 + n];
        frame[0] = (byte) (n >>> 24);
        frame[1] = (byte) (n >>> 16);
        frame[2] = (byte) (n >>> 8);
        frame[3] = (byte) n;
        System.arraycopy(payload, 0, frame, 4, n);
        out.write(frame);
        out.flush();
    }
}
