package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;

/**
 * The 19-octet message header (RFC 4271 §4.1): marker, length, type. Checked before the body
 * arrives, so a frame decoder never waits for (or buffers) more than a legal message.
 */
public final class MessageHeader {
    public static final int MARKER_LENGTH = 16;
    public static final int LENGTH = 19;
    /** RFC 8654 §4: OPEN and KEEPALIVE stay within 4096 octets even on an extended-message session. */
    private static final int MAX_OPEN = CodecContext.MAX_MESSAGE;

    private MessageHeader() {}

    /** The smallest legal total length of a message type (RFC 4271 §4, RFC 2918), or -1 if the type is unknown. */
    static int minimumLength(int type) {
        return switch (type) {
            case BgpMessage.TYPE_OPEN -> 29;
            case BgpMessage.TYPE_UPDATE -> 23;
            case BgpMessage.TYPE_NOTIFICATION -> 21;
            case BgpMessage.TYPE_KEEPALIVE -> LENGTH;
            case BgpMessage.TYPE_ROUTE_REFRESH -> 23;
            default -> -1;
        };
    }

    /**
     * The total length of the message starting at {@code readerIndex}, or -1 while fewer than 19
     * octets are readable there. Checks marker (1/1), length (1/2, data the length field) and type
     * (1/3, data the type) in that order, as RFC 4271 §6.1 lists them.
     */
    public static int messageLength(ByteBuf in, int readerIndex, CodecContext ctx) throws BgpWireException {
        if (in.writerIndex() - readerIndex < LENGTH) {
            return -1;
        }
        for (int i = 0; i < MARKER_LENGTH; i++) {
            if (in.getByte(readerIndex + i) != (byte) 0xff) {
                throw new BgpWireException(Notification.MESSAGE_HEADER_ERROR, 1, "connection not synchronized: bad marker");
            }
        }
        int length = in.getUnsignedShort(readerIndex + MARKER_LENGTH);
        int type = in.getUnsignedByte(readerIndex + MARKER_LENGTH + 2);
        if (length < LENGTH || length > ctx.maxMessageLength()) {
            throw badLength(length, "message length " + length + " outside 19.." + ctx.maxMessageLength());
        }
        int min = minimumLength(type);
        if (min < 0) {
            throw new BgpWireException(Notification.MESSAGE_HEADER_ERROR, 3, Octets.of(new byte[] {(byte) type}),
                    "unknown message type " + type);
        }
        if (length < min || (type == BgpMessage.TYPE_KEEPALIVE && length != LENGTH)
                || (type == BgpMessage.TYPE_OPEN && length > MAX_OPEN)) {
            throw badLength(length, "bad length " + length + " for message type " + type);
        }
        return length;
    }

    private static BgpWireException badLength(int length, String why) {
        return new BgpWireException(Notification.MESSAGE_HEADER_ERROR, 2,
                Octets.of(new byte[] {(byte) (length >>> 8), (byte) length}), why);
    }

    /** Writes the header with a zero length; {@link #finish} fills it in once the body is written. */
    static int start(ByteBuf out, int type) {
        int start = out.writerIndex();
        for (int i = 0; i < MARKER_LENGTH; i++) {
            out.writeByte(0xff);
        }
        out.writeShort(0);
        out.writeByte(type);
        return start;
    }

    static void finish(ByteBuf out, int start, CodecContext ctx) {
        int length = out.writerIndex() - start;
        if (length > ctx.maxMessageLength()) {
            out.writerIndex(start);
            throw new IllegalArgumentException("message of " + length + " octets exceeds " + ctx.maxMessageLength());
        }
        out.setShort(start + MARKER_LENGTH, length);
    }
}
