package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The BGP-4 codec: whole frames to {@link BgpMessage} values and back. Pure: no I/O, no state
 * beyond the {@link CodecContext} passed in. Bad input throws {@link BgpWireException} carrying
 * the NOTIFICATION to send; an UPDATE with malformed attributes is not an exception but a
 * {@link DecodedUpdate} with its RFC 7606 action. Decoding allocates in proportion to the frame
 * (every list is filled from the octets present, never sized from a length field) and runs in
 * time linear in it.
 */
public final class BgpCodec {
    private BgpCodec() {}

    /** See {@link MessageHeader#messageLength}. */
    public static int messageLength(ByteBuf in, int readerIndex, CodecContext ctx) throws BgpWireException {
        return MessageHeader.messageLength(in, readerIndex, ctx);
    }

    /**
     * Decodes one whole message (header included) occupying the frame's readable bytes, which it
     * does not consume. An UPDATE comes back as {@link DecodedUpdate#update()} of its RFC 7606
     * decoding, i.e. under treat-as-withdraw with its NLRI still announced: a receiver that acts
     * on routes must use {@link #decodeFrame} or {@link #decodeUpdate} instead.
     */
    public static BgpMessage decode(ByteBuf frame, CodecContext ctx) throws BgpWireException {
        Object o = decodeFrame(frame, ctx);
        return o instanceof DecodedUpdate d ? d.update() : (BgpMessage) o;
    }

    /** Decodes one UPDATE frame (header included) with its RFC 7606 outcome. */
    public static DecodedUpdate decodeUpdate(ByteBuf frame, CodecContext ctx) throws BgpWireException {
        Object o = decodeFrame(frame, ctx);
        if (o instanceof DecodedUpdate d) {
            return d;
        }
        throw new IllegalArgumentException("not an UPDATE: " + o);
    }

    /**
     * Decodes one whole message: a {@link DecodedUpdate} for an UPDATE, the {@link BgpMessage}
     * otherwise. This is what {@link BgpFrameDecoder} emits.
     */
    public static Object decodeFrame(ByteBuf frame, CodecContext ctx) throws BgpWireException {
        int start = frame.readerIndex();
        int length = MessageHeader.messageLength(frame, start, ctx);
        if (length < 0 || length != frame.readableBytes()) {
            throw new IllegalArgumentException("frame of " + frame.readableBytes() + " octets, header says " + length);
        }
        int type = frame.getUnsignedByte(start + MessageHeader.MARKER_LENGTH + 2);
        int body = start + MessageHeader.LENGTH;
        int end = start + length;
        return switch (type) {
            case BgpMessage.TYPE_OPEN -> OpenCodec.decode(frame, body, end);
            case BgpMessage.TYPE_UPDATE -> UpdateCodec.decode(frame, body, end, ctx);
            case BgpMessage.TYPE_NOTIFICATION -> new Notification(frame.getUnsignedByte(body), frame.getUnsignedByte(body + 1),
                    Wire.octets(frame, body + 2, end - body - 2));
            case BgpMessage.TYPE_KEEPALIVE -> Keepalive.INSTANCE;
            case BgpMessage.TYPE_ROUTE_REFRESH -> decodeRouteRefresh(frame, start, body, end);
            default -> throw new IllegalStateException("type " + type + " passed the header check");
        };
    }

    /**
     * RFC 7313 §5: BoRR and EoRR are exactly 4 octets of body, else 7/1 with the message as data.
     * A request may carry ORF entries (RFC 5291) after the 4 octets; they are ignored.
     */
    private static RouteRefresh decodeRouteRefresh(ByteBuf frame, int start, int body, int end) throws BgpWireException {
        int subtype = frame.getUnsignedByte(body + 2);
        if ((subtype == RouteRefresh.BEGIN || subtype == RouteRefresh.END) && end - body != 4) {
            throw new BgpWireException(Notification.ROUTE_REFRESH_ERROR, 1, Wire.octets(frame, start, end - start),
                    "ROUTE-REFRESH subtype " + subtype + " of " + (end - body) + " octets");
        }
        return new RouteRefresh(frame.getUnsignedShort(body), subtype, frame.getUnsignedByte(body + 3));
    }

    /**
     * Appends the message, header included. Throws {@link IllegalArgumentException} when it does
     * not fit the context's maximum length (the RIB must split large UPDATEs) or a field overflows.
     */
    public static void encode(BgpMessage m, CodecContext ctx, ByteBuf out) {
        int start = MessageHeader.start(out, m.type());
        try {
            encodeBody(m, ctx, out);
        } catch (RuntimeException e) {
            out.writerIndex(start); // leave no half message behind
            throw e;
        }
        MessageHeader.finish(out, start, ctx);
    }

    /**
     * The octets {@link #encode} would write, header included, even beyond the context's maximum:
     * for checking how UPDATEs are packed. Encodes into a scratch buffer, so not for the hot path.
     */
    public static int encodedLength(BgpMessage m, CodecContext ctx) {
        ByteBuf scratch = Unpooled.buffer();
        try {
            encodeBody(m, ctx, scratch);
            return MessageHeader.LENGTH + scratch.readableBytes();
        } finally {
            scratch.release();
        }
    }

    private static void encodeBody(BgpMessage m, CodecContext ctx, ByteBuf out) {
        if (m instanceof Open o) {
            OpenCodec.encode(o, out);
        } else if (m instanceof Update u) {
            UpdateCodec.encode(u, ctx, out);
        } else if (m instanceof Notification n) {
            out.writeByte(n.code()).writeByte(n.subcode());
            Wire.write(out, n.data());
        } else if (m instanceof RouteRefresh r) {
            out.writeShort(r.afi()).writeByte(r.subtype()).writeByte(r.safi());
        }
        // Keepalive: the header alone
    }
}
