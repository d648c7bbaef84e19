package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the byte stream into messages and decodes them. Emits, in order: a {@link BgpMessage} for
 * OPEN, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH; a {@link DecodedUpdate} for every UPDATE (so no
 * RFC 7606 outcome can be overlooked); and, for a message that must end the session, the
 * {@link BgpWireException} itself, whose {@link BgpWireException#notification()} is the
 * NOTIFICATION to send. After that it discards all further input: the stream is no longer
 * trustworthy (RFC 4271 §6).
 *
 * <p>The header is checked as soon as 19 octets are there, so an oversized or garbled message is
 * refused before its body is buffered. Switch the context with {@link #context(CodecContext)}
 * once the OPENs are exchanged, before sending the KEEPALIVE that lets the peer send UPDATEs (the
 * field is volatile, so any thread may do it).
 */
public final class BgpFrameDecoder extends ByteToMessageDecoder {
    private volatile CodecContext context;
    private boolean failed;

    public BgpFrameDecoder(CodecContext context) {
        this.context = context;
    }

    public BgpFrameDecoder() {
        this(CodecContext.INITIAL);
    }

    public void context(CodecContext c) {
        this.context = c;
    }

    public CodecContext context() {
        return context;
    }

    @Override
    protected void decode(ChannelHandlerContext chc, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        CodecContext ctx = context;
        try {
            int length = MessageHeader.messageLength(in, in.readerIndex(), ctx);
            if (length < 0 || in.readableBytes() < length) {
                return;
            }
            ByteBuf frame = in.slice(in.readerIndex(), length);
            in.skipBytes(length);
            out.add(BgpCodec.decodeFrame(frame, ctx));
        } catch (BgpWireException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            out.add(e);
        }
    }
}
