package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Writes {@link BgpMessage}s with {@link BgpCodec#encode}. A message that does not fit the
 * context's maximum length fails its write promise with {@link IllegalArgumentException}.
 * Switch the context once the OPENs are exchanged, as for {@link BgpFrameDecoder}.
 */
public final class BgpMessageEncoder extends MessageToByteEncoder<BgpMessage> {
    private volatile CodecContext context;

    public BgpMessageEncoder(CodecContext context) {
        super(BgpMessage.class);
        this.context = context;
    }

    public BgpMessageEncoder() {
        this(CodecContext.INITIAL);
    }

    public void context(CodecContext c) {
        this.context = c;
    }

    public CodecContext context() {
        return context;
    }

    @Override
    protected void encode(ChannelHandlerContext chc, BgpMessage msg, ByteBuf out) {
        BgpCodec.encode(msg, context, out);
    }
}
