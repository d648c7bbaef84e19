package dev.weft.bgp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mutated and random messages: decoding either returns or throws {@link BgpWireException}, never
 * anything else; allocates at most {@link #ALLOC_CONSTANT} + {@link #ALLOC_PER_OCTET} × frame
 * length; and whatever decodes encodes again and decodes to the same value. Seeded: every message
 * has its own seed derived from {@code -Dwire.fuzz.seed} and its index, and a failure prints both
 * plus the frame in hex, so it can be replayed and turned into a unit test.
 *
 * <p>The allocation bound: the costliest octet is a one-octet NLRI entry (a /0), which becomes an
 * {@link Nlri}, its {@link Cidr} and {@link IpAddress}: 24 + 24 + 40 octets with compressed
 * references, plus about 16 for its slots in the growing ArrayList and the immutable copy, 104 in
 * all. {@link #densestFramesStayWithinTheBound} measures 108 per octet for IPv4 and 120 for IPv6
 * /0 prefixes in MP_REACH; nothing else comes close (AS_PATH 43, capabilities 22). k = 160 keeps a
 * third of headroom for JVM layout differences while any quadratic or length-field-driven
 * allocation still breaks it at once. The constant pays for the fixed objects of one decode
 * (header slice, lists, the exception or error records with their message strings).
 */
class FuzzTest {
    private static final long SEED = Long.getLong("wire.fuzz.seed", 0x5eed_b9b4L);
    private static final int MESSAGES = Integer.getInteger("wire.fuzz.messages", 1_000_000);
    private static final int STREAMS = Integer.getInteger("wire.fuzz.streams", 20_000);
    static final long ALLOC_CONSTANT = 16 * 1024;
    static final long ALLOC_PER_OCTET = 160;

    private static final CodecContext[] CONTEXTS = {
        CodecContext.INITIAL, WireFixtures.AS4, WireFixtures.ALL,
        new CodecContext(false, EnumSet.of(Family.IPV4_UNICAST), Set.of(), false),
        new CodecContext(true, EnumSet.of(Family.IPV6_UNICAST), Set.of(), true),
    };
    private static final int[] INTERESTING = {0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 19, 23, 29, 32, 33, 64, 127, 128, 129, 200,
        254, 255, 256, 4095, 4096, 4097, 65535};
    private static final int[] ATTR_FLAGS = {0x40, 0x80, 0xc0, 0x50, 0x90, 0xd0, 0xe0, 0x00, 0x10, 0x60};
    private static final int[] ATTR_TYPES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 99, 255};

    private long lastAllocated;
    private long worstAllocated;
    private int worstLength;
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void mutatedMessages() {
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation accounting is needed for the bound");
        List<byte[]> corpus = corpus();
        int decoded = 0;
        int refused = 0;
        for (int i = 0; i < MESSAGES; i++) {
            SplittableRandom r = new SplittableRandom(SEED * 0x9E3779B97F4A7C15L + i);
            CodecContext ctx = CONTEXTS[r.nextInt(CONTEXTS.length)];
            byte[] frame = generate(corpus, r);
            try {
                if (check(frame, ctx)) {
                    decoded++;
                } else {
                    refused++;
                }
            } catch (Throwable t) {
                fail("seed " + SEED + " message " + i + " context " + ctx + " frame " + WireFixtures.hexOf(frame), t);
            }
        }
        System.out.printf("FuzzTest: seed %d, %d messages, %d decoded, %d refused; most allocated %d octets for %d, %.1f per octet%n",
                SEED, MESSAGES, decoded, refused, worstAllocated, worstLength, (double) worstAllocated / Math.max(1, worstLength));
        // the generator must reach the parsers, not only the header check
        assertTrue(decoded > MESSAGES / 10, "decoded " + decoded + ", refused " + refused);
        assertTrue(refused > MESSAGES / 10, "decoded " + decoded + ", refused " + refused);
    }

    /** The frames that pack the most objects into each octet, each measured against the bound. */
    @Test
    void densestFramesStayWithinTheBound() throws Exception {
        byte[] zeros = new byte[4096 - 23];
        checkDense("4073 IPv4 /0 NLRI", WireFixtures.message(2, concat(WireFixtures.hex("0000 0000"), zeros)), WireFixtures.AS4);
        byte[] mp = concat(WireFixtures.hex("0000 0fe9 900e 0fe5 0002 01 10 fd000000000000000000000000000001 00"), new byte[4096 - 23 - 4 - 21]);
        checkDense("4048 IPv6 /0 in MP_REACH", WireFixtures.message(2, mp), WireFixtures.AS4);
        byte[] asPath = new byte[4068];
        for (int k = 0; k + 1 < asPath.length; k += 2) {
            asPath[k] = 2;
            asPath[k + 1] = 1; // a one-ASN segment reads 2 + 2 octets: "0201" + next pair
        }
        checkDense("1017 AS_PATH segments", WireFixtures.message(2, concat(WireFixtures.hex("0000 0fe8 5002 0fe4"), asPath)),
                CodecContext.INITIAL);
        byte[] caps = new byte[255];
        for (int k = 0; k + 1 < caps.length; k += 2) {
            caps[k] = (byte) 200;
        }
        checkDense("126 unknown capabilities", WireFixtures.message(1, concat(WireFixtures.hex("04 fc00 005a 0a630001 fe 02 fc"),
                Arrays.copyOf(caps, 252))), CodecContext.INITIAL);
    }

    private void checkDense(String what, byte[] frame, CodecContext ctx) throws Exception {
        assertTrue(check(frame, ctx), what + " must decode to be a worst case");
        System.out.printf("FuzzTest: %s: %d octets allocated for a frame of %d (%.1f per octet)%n", what, lastAllocated,
                frame.length, (double) lastAllocated / frame.length);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void mutatedStreamsThroughTheFrameDecoder() {
        List<byte[]> corpus = corpus();
        for (int i = 0; i < STREAMS; i++) {
            SplittableRandom r = new SplittableRandom(~SEED * 31 + i);
            BgpFrameDecoder decoder = new BgpFrameDecoder(CONTEXTS[r.nextInt(CONTEXTS.length)]);
            EmbeddedChannel ch = new EmbeddedChannel(decoder);
            ByteBuf stream = Unpooled.buffer();
            int n = 1 + r.nextInt(4);
            for (int k = 0; k < n; k++) {
                stream.writeBytes(r.nextInt(3) == 0 ? corpus.get(r.nextInt(corpus.size())) : generate(corpus, r));
            }
            String hex = io.netty.buffer.ByteBufUtil.hexDump(stream);
            try {
                while (stream.isReadable()) {
                    ch.writeInbound(stream.readRetainedSlice(Math.min(stream.readableBytes(), 1 + r.nextInt(600))));
                    ch.checkException();
                }
                boolean failed = false;
                for (Object o; (o = ch.readInbound()) != null; ) {
                    assertTrue(!failed, "output after a BgpWireException");
                    assertTrue(o instanceof BgpMessage || o instanceof DecodedUpdate || o instanceof BgpWireException, o::toString);
                    failed = o instanceof BgpWireException;
                }
            } catch (Throwable t) {
                fail("seed " + SEED + " stream " + i + " bytes " + hex, t);
            } finally {
                stream.release();
                ch.finishAndReleaseAll();
            }
        }
    }

    /** Decodes, checks the allocation bound and, if it decoded, the re-encoding. True if it decoded. */
    private boolean check(byte[] frame, CodecContext ctx) throws Exception {
        Object result = decodeMeasured(frame, ctx, true);
        if (result == null) {
            return false;
        }
        Object value = result instanceof DecodedUpdate d ? d.update() : result;
        ByteBuf out = Unpooled.buffer();
        // encode as the peer would have: ADD-PATH sent in the direction we receive it
        CodecContext peer = new CodecContext(ctx.fourOctetAs(), ctx.addPathReceive(), ctx.addPathReceive(), ctx.extendedMessage());
        try {
            BgpCodec.encode((BgpMessage) value, peer, out);
        } catch (IllegalArgumentException tooLong) {
            return true; // e.g. an MP_REACH received with a 1-octet length grows by one octet and no longer fits
        }
        Object again = BgpCodec.decodeFrame(out, ctx);
        assertEquals(value, again instanceof DecodedUpdate d ? d.update() : again, "re-encoded " + io.netty.buffer.ByteBufUtil.hexDump(out));
        return true;
    }

    /** Returns the decoded message, or null if the header or body was refused (or the frame is incomplete). */
    private Object decodeMeasured(byte[] frame, CodecContext ctx, boolean retry) throws Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        Object result = null;
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            int length = BgpCodec.messageLength(buf, 0, ctx);
            if (length >= 0 && length <= frame.length) {
                result = BgpCodec.decodeFrame(buf.slice(0, length), ctx);
            }
        } catch (BgpWireException e) {
            result = null;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long bound = ALLOC_CONSTANT + ALLOC_PER_OCTET * frame.length;
        lastAllocated = allocated;
        if (!retry || allocated <= bound) {
            // the worst ratio over the constant, for frames where the per-octet part dominates
            if (frame.length >= 200 && (worstLength == 0 || allocated * worstLength > worstAllocated * (long) frame.length)) {
                worstAllocated = allocated;
                worstLength = frame.length;
            }
        }
        if (allocated > bound) {
            // The first run through a code path may bootstrap string concatenation or load classes: measure once more.
            if (retry) {
                return decodeMeasured(frame, ctx, false);
            }
            fail("allocated " + allocated + " octets decoding " + frame.length + ", bound " + bound);
        }
        return result;
    }

    // ------------------------------------------------------------------ generation

    private static byte[] generate(List<byte[]> corpus, SplittableRandom r) {
        byte[] m = switch (r.nextInt(10)) {
            case 0 -> randomMessage(r);
            case 1 -> structuredUpdate(r);
            case 2 -> structuredOpen(r);
            default -> corpus.get(r.nextInt(corpus.size())).clone();
        };
        int mutations = r.nextInt(4);
        for (int k = 0; k < mutations; k++) {
            m = mutate(m, corpus, r);
        }
        if (m.length >= 19 && r.nextInt(10) != 0) {
            setShort(m, 16, Math.min(m.length, 0xffff)); // mostly keep the header honest so the body parsers run
        }
        return m;
    }

    private static byte[] mutate(byte[] m, List<byte[]> corpus, SplittableRandom r) {
        switch (r.nextInt(7)) {
            case 0: { // bit flips, mostly in the body
                int flips = 1 + r.nextInt(8);
                for (int k = 0; k < flips && m.length > 0; k++) {
                    int at = m.length > 19 && r.nextInt(8) != 0 ? 19 + r.nextInt(m.length - 19) : r.nextInt(m.length);
                    m[at] ^= (byte) (1 << r.nextInt(8));
                }
                return m;
            }
            case 1: // an interesting octet
                if (m.length > 19) {
                    m[19 + r.nextInt(m.length - 19)] = (byte) INTERESTING[r.nextInt(INTERESTING.length)];
                }
                return m;
            case 2: // an interesting 16-bit value, where length fields live
                if (m.length > 21) {
                    setShort(m, 19 + r.nextInt(m.length - 20), r.nextInt(4) == 0 ? r.nextInt(0x10000)
                            : INTERESTING[r.nextInt(INTERESTING.length)]);
                }
                return m;
            case 3: // truncation
                return Arrays.copyOf(m, r.nextInt(m.length + 1));
            case 4: { // extension with random octets
                byte[] longer = Arrays.copyOf(m, m.length + 1 + r.nextInt(64));
                for (int k = m.length; k < longer.length; k++) {
                    longer[k] = (byte) r.nextInt(256);
                }
                return longer;
            }
            case 5: { // splice two messages
                byte[] other = corpus.get(r.nextInt(corpus.size()));
                int cut = r.nextInt(m.length + 1);
                int from = r.nextInt(other.length + 1);
                byte[] s = Arrays.copyOf(m, cut + other.length - from);
                System.arraycopy(other, from, s, cut, other.length - from);
                return s;
            }
            default: { // duplicate a slice in place (repeated attributes, prefixes, capabilities)
                if (m.length <= 20) {
                    return m;
                }
                int from = 19 + r.nextInt(m.length - 19);
                int len = 1 + r.nextInt(Math.min(40, m.length - from));
                int at = 19 + r.nextInt(m.length - 19);
                byte[] s = new byte[m.length + len];
                System.arraycopy(m, 0, s, 0, at);
                System.arraycopy(m, from, s, at, len);
                System.arraycopy(m, at, s, at + len, m.length - at);
                return s;
            }
        }
    }

    private static byte[] randomMessage(SplittableRandom r) {
        byte[] body = new byte[r.nextInt(r.nextInt(8) == 0 ? 5000 : 80)];
        for (int k = 0; k < body.length; k++) {
            body[k] = (byte) r.nextInt(256);
        }
        int type = r.nextInt(16) == 0 ? r.nextInt(256) : 1 + r.nextInt(5);
        return WireFixtures.message(type, body);
    }

    /** An UPDATE of plausible structure: random attributes with real type codes and flags, random NLRI octets. */
    private static byte[] structuredUpdate(SplittableRandom r) {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(0);
        int n = r.nextInt(8);
        for (int k = 0; k < n; k++) {
            b.writeShort(r.nextInt(2) == 0 ? 0x1800 | r.nextInt(256) : r.nextInt(0x10000));
        }
        b.setShort(0, b.writerIndex() - 2);
        int attrsAt = b.writerIndex();
        b.writeShort(0);
        int attrs = r.nextInt(10);
        for (int k = 0; k < attrs; k++) {
            int flags = ATTR_FLAGS[r.nextInt(ATTR_FLAGS.length)];
            int type = ATTR_TYPES[r.nextInt(ATTR_TYPES.length)];
            byte[] value = new byte[r.nextInt(r.nextInt(4) == 0 ? 300 : 24)];
            for (int v = 0; v < value.length; v++) {
                value[v] = (byte) (r.nextInt(3) == 0 ? INTERESTING[r.nextInt(INTERESTING.length)] : r.nextInt(256));
            }
            if (type == 14 || type == 15) { // a real family most of the time
                if (value.length >= 3 && r.nextInt(4) != 0) {
                    value[0] = 0;
                    value[1] = (byte) (1 + r.nextInt(2));
                    value[2] = 1;
                }
            }
            b.writeByte(flags).writeByte(type);
            if ((flags & 0x10) != 0) {
                b.writeShort(value.length);
            } else {
                b.writeByte(value.length & 0xff);
            }
            b.writeBytes(value);
        }
        b.setShort(attrsAt, b.writerIndex() - attrsAt - 2);
        int nlri = r.nextInt(6);
        for (int k = 0; k < nlri; k++) {
            int bits = r.nextInt(34);
            b.writeByte(bits);
            for (int o = 0; o < (bits + 7) / 8; o++) {
                b.writeByte(r.nextInt(256));
            }
        }
        return WireFixtures.message(2, io.netty.buffer.ByteBufUtil.getBytes(b));
    }

    /** An OPEN with random parameters and capabilities of real codes. */
    private static byte[] structuredOpen(SplittableRandom r) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(r.nextInt(16) == 0 ? r.nextInt(256) : 4).writeShort(r.nextInt(0x10000))
                .writeShort(r.nextInt(4) == 0 ? r.nextInt(4) : 90).writeInt(r.nextInt(16) == 0 ? 0 : r.nextInt());
        int lengthAt = b.writerIndex();
        b.writeByte(0);
        int params = r.nextInt(5);
        for (int p = 0; p < params; p++) {
            b.writeByte(r.nextInt(10) == 0 ? r.nextInt(256) : 2);
            int at = b.writerIndex();
            b.writeByte(0);
            int caps = r.nextInt(5);
            for (int c = 0; c < caps; c++) {
                int[] codes = {1, 2, 5, 6, 64, 65, 69, 70, 71, 73, 128, r.nextInt(256)};
                b.writeByte(codes[r.nextInt(codes.length)]);
                int len = r.nextInt(3) == 0 ? r.nextInt(20) : new int[] {0, 2, 4, 6, 8, 12}[r.nextInt(6)];
                b.writeByte(len);
                for (int v = 0; v < len; v++) {
                    b.writeByte(r.nextInt(4) == 0 ? r.nextInt(8) : r.nextInt(256));
                }
            }
            b.setByte(at, Math.min(255, b.writerIndex() - at - 1));
        }
        b.setByte(lengthAt, Math.min(255, b.writerIndex() - lengthAt - 1));
        return WireFixtures.message(1, io.netty.buffer.ByteBufUtil.getBytes(b));
    }

    private static void setShort(byte[] m, int at, int v) {
        if (at + 1 < m.length) {
            m[at] = (byte) (v >>> 8);
            m[at + 1] = (byte) v;
        }
    }

    /** The §3.6 vectors and encodings of every message type, capability and attribute. */
    private static List<byte[]> corpus() {
        List<byte[]> c = new ArrayList<>();
        c.add(WireFixtures.message(1, "04 fc00 005a 0a630001 18 02 16 01 04 0001 00 01 02 00 40 02 0078 41 04 0000fc00 46 00 47 00"));
        c.add(WireFixtures.message(1, "04 fc00 005a 0a630002 1e 02 1c 02 00 49 04 02 766d 00 01 04 00010001 41 04 0000fc00 05 06 0001 0001 0002"));
        c.add(WireFixtures.message(2, "0000 0015 40 01 01 00 40 02 00 40 03 04 0a630001 40 05 04 00000064 1a 0af40100"));
        c.add(WireFixtures.message(2, "0000 0022 40 01 01 00 40 02 06 02 01 0000fdeb 40 03 04 0a630003 80 04 04 00000000 40 05 04 00000064 1a 0af40300"));
        c.add(WireFixtures.message(2, "0000 0030 90 0e 001e 0002 01 10 fd000099000000000000000000000001 00 40 fd00024400010000 40 01 01 00 40 02 00 40 05 04 00000064"));
        c.add(WireFixtures.message(2, "0000 0006 80 0f 03 0002 01"));
        c.add(WireFixtures.message(3, "06 04"));
        c.add(WireFixtures.message(4, ""));
        c.add(WireFixtures.message(5, "0002 00 01"));
        for (CodecContext ctx : List.of(CodecContext.INITIAL, WireFixtures.ALL)) {
            c.add(WireFixtures.encode(new Open(4, 64512, 90, 1, RoundTripTest.ALL_CAPABILITIES, ctx == WireFixtures.ALL), ctx));
            List<Nlri> v4 = List.of(new Nlri(Cidr.parse("10.244.0.0/24"), 5), new Nlri(Cidr.parse("0.0.0.0/0"), 6));
            List<Nlri> v6 = List.of(new Nlri(Cidr.parse("fd00:244::/64"), 5), new Nlri(Cidr.parse("2001:db8::1/128"), 7));
            c.add(WireFixtures.encode(new Update(v4, RoundTripTest.everyAttribute(65001), v4), ctx));
            c.add(WireFixtures.encode(new Update(List.of(), List.of(
                    new PathAttribute.MpReach(Family.IPV6_UNICAST, List.of(IpAddress.parse("fd00::1"), IpAddress.parse("fe80::1")), v6),
                    new PathAttribute.MpUnreach(Family.IPV4_UNICAST, v4), new PathAttribute.Origin(0), PathAttribute.AsPath.EMPTY),
                    List.of()), ctx));
            c.add(WireFixtures.encode(new Update(List.of(), List.of(
                    new PathAttribute.MpReach(Family.IPV4_UNICAST, List.of(IpAddress.parse("fd00::1")), v4),
                    new PathAttribute.MpUnreach(Family.IPV6_UNICAST, v6)), List.of()), ctx));
        }
        return c;
    }
}
