package dev.weft.bgp.wire;

import static dev.weft.bgp.wire.WireFixtures.AS4;
import static dev.weft.bgp.wire.WireFixtures.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BgpFrameDecoder and BgpMessageEncoder in a Netty pipeline. */
class FrameCodecTest {
    private static final byte[] OPEN = message(1, "04 fc00 005a 0a630001 18 | 02 16 | 01 04 0001 00 01 | 02 00 | 40 02 0078 | 41 04 0000fc00 | 46 00 | 47 00");
    private static final byte[] UPDATE = message(2, "0000 0014 | 40 01 01 00 | 40 02 06 02 01 0000fc00 | 40 03 04 0a630001 | 1a 0af40100");
    private static final byte[] KEEPALIVE = message(4, "");

    @Test
    void messagesSplitAndCoalescedAcrossReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new BgpFrameDecoder(AS4));
        ByteBuf all = Unpooled.wrappedBuffer(OPEN, KEEPALIVE, UPDATE, KEEPALIVE);
        // one octet at a time, then the rest in one read
        for (int i = 0; i < 40; i++) {
            ch.writeInbound(all.readRetainedSlice(1));
        }
        ch.writeInbound(all.readRetainedSlice(all.readableBytes()));
        assertInstanceOf(Open.class, ch.readInbound());
        assertEquals(Keepalive.INSTANCE, ch.readInbound());
        DecodedUpdate u = assertInstanceOf(DecodedUpdate.class, ch.readInbound());
        assertEquals(UpdateAction.ACCEPT, u.action());
        assertEquals(List.of(Nlri.of(Cidr.parse("10.244.1.0/26"))), u.update().nlri());
        assertEquals(Keepalive.INSTANCE, ch.readInbound());
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void badHeaderEmitsTheErrorAndDiscardsTheRest() {
        EmbeddedChannel ch = new EmbeddedChannel(new BgpFrameDecoder(AS4));
        byte[] bad = KEEPALIVE.clone();
        bad[3] = 0;
        ch.writeInbound(Unpooled.wrappedBuffer(KEEPALIVE, bad, KEEPALIVE));
        assertEquals(Keepalive.INSTANCE, ch.readInbound());
        BgpWireException e = assertInstanceOf(BgpWireException.class, ch.readInbound());
        assertEquals(Notification.of(1, 1), e.notification());
        ch.writeInbound(Unpooled.wrappedBuffer(KEEPALIVE));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void oversizedLengthRefusedBeforeTheBodyArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new BgpFrameDecoder(AS4));
        ByteBuf header = Unpooled.buffer();
        header.writeBytes(WireFixtures.hex("ffffffffffffffffffffffffffffffff")).writeShort(5000).writeByte(2);
        ch.writeInbound(header);
        BgpWireException e = assertInstanceOf(BgpWireException.class, ch.readInbound());
        assertEquals(new Notification(1, 2, Octets.ofHex("1388")), e.notification());
        ch.finishAndReleaseAll();
    }

    @Test
    void contextSwitchAdmitsExtendedMessages() {
        BgpFrameDecoder decoder = new BgpFrameDecoder(AS4);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.context(new CodecContext(true, java.util.Set.of(), java.util.Set.of(), true));
        byte[] big = message(3, new byte[6000]);
        ch.writeInbound(Unpooled.wrappedBuffer(big));
        Notification n = assertInstanceOf(Notification.class, ch.readInbound());
        assertEquals(5998, n.data().length());
        assertFalse(ch.finish());
    }

    @Test
    void encoderWritesFrames() {
        EmbeddedChannel ch = new EmbeddedChannel(new BgpMessageEncoder(AS4));
        assertTrue(ch.writeOutbound(Keepalive.INSTANCE, Notification.of(6, 4)));
        ByteBuf a = ch.readOutbound();
        ByteBuf b = ch.readOutbound();
        assertArrayEquals(KEEPALIVE, ByteBufUtil.getBytes(a));
        assertArrayEquals(message(3, "0604"), ByteBufUtil.getBytes(b));
        a.release();
        b.release();
        assertFalse(ch.finish());
    }
}
