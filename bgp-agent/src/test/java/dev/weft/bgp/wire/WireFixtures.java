package dev.weft.bgp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/** Hex and framing helpers for the wire tests. */
final class WireFixtures {
    /** What every peer in bgp.md §3 negotiated: 4-octet AS, no ADD-PATH. */
    static final CodecContext AS4 = new CodecContext(true, Set.of(), Set.of(), false);
    /** ADD-PATH both ways for both families, AS4 and extended messages. */
    static final CodecContext ALL = new CodecContext(true, EnumSet.allOf(Family.class), EnumSet.allOf(Family.class), true);

    private WireFixtures() {}

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", "").replace("|", ""));
    }

    /** The whole message: marker, length and type before the body. */
    static byte[] message(int type, byte[] body) {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(hex("ffffffffffffffffffffffffffffffff"));
        b.writeShort(19 + body.length).writeByte(type).writeBytes(body);
        return ByteBufUtil.getBytes(b);
    }

    static byte[] message(int type, String bodyHex) {
        return message(type, hex(bodyHex));
    }

    static byte[] encode(BgpMessage m, CodecContext ctx) {
        ByteBuf out = Unpooled.buffer();
        BgpCodec.encode(m, ctx, out);
        return ByteBufUtil.getBytes(out);
    }

    static BgpMessage decode(byte[] frame, CodecContext ctx) throws BgpWireException {
        return BgpCodec.decode(Unpooled.wrappedBuffer(frame), ctx);
    }

    static DecodedUpdate decodeUpdate(byte[] frame, CodecContext ctx) throws BgpWireException {
        return BgpCodec.decodeUpdate(Unpooled.wrappedBuffer(frame), ctx);
    }

    static String hexOf(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** Asserts that {@code m} encodes to exactly {@code frame}. */
    static void assertEncodes(byte[] frame, BgpMessage m, CodecContext ctx) {
        assertEquals(hexOf(frame), hexOf(encode(m, ctx)));
    }
}
