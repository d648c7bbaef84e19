package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every decoder, fed random bytes, truncated messages and attributes whose lengths lie, either
 * returns (a value or null) or throws {@link NetlinkDecodeException}: never an unchecked index
 * or argument error. Seeded, so a failure names an input that reproduces it.
 */
class CodecFuzzTest {
    private static final int INPUTS = 100_000;

    /** A decoder under test, reduced to one shape. */
    private interface Decoder {
        Object decode(ByteBuffer b, int type, int from, int to);
    }

    /** Attribute types worth hitting: the ones the decoders read, nested or not, and a few others. */
    private static final int[] ATTR_TYPES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 10, 12, 15, 16, 17, 18, 23, 26, 127, 128, 0x3fff};

    @Test
    void linkDecoder() {
        fuzz("link", LinkCodec.HEADER, new int[] {Rt.RTM_NEWLINK, Rt.RTM_DELLINK}, LinkCodec::decode,
                w -> LinkCodec.writeSpec(w, new LinkSpec.Vxlan("wt-vx", 7, 8472).withLocal(dev.weft.net.IpAddress.parse("10.0.0.1"))));
    }

    @Test
    void hairpinDecoder() {
        fuzz("hairpin", LinkCodec.HEADER, new int[] {Rt.RTM_NEWLINK}, (b, t, f, to) -> LinkCodec.decodeHairpin(b, t, f, to, 0),
                w -> LinkCodec.writeHairpin(w, 0, true));
    }

    @Test
    void bridgeVlanDecoder() {
        fuzz("bridge vlan", LinkCodec.HEADER, new int[] {Rt.RTM_NEWLINK}, (b, t, f, to) -> BridgeVlanCodec.decode(b, t, f, to, 0),
                w -> BridgeVlanCodec.write(w, 0, 10, 20, 0, false));
    }

    @Test
    void addressDecoder() {
        fuzz("address", AddressCodec.HEADER, new int[] {Rt.RTM_NEWADDR, Rt.RTM_DELADDR}, AddressCodec::decode,
                w -> AddressCodec.write(w, CodecRoundTripTest.ADDRESS));
    }

    @Test
    void routeDecoder() {
        fuzz("route", RouteCodec.HEADER, new int[] {Rt.RTM_NEWROUTE, Rt.RTM_DELROUTE}, RouteCodec::decode,
                w -> RouteCodec.write(w, CodecRoundTripTest.ROUTE, false));
    }

    @Test
    void multipathRouteDecoder() {
        fuzz("multipath route", RouteCodec.HEADER, new int[] {Rt.RTM_NEWROUTE, Rt.RTM_DELROUTE}, RouteCodec::decode,
                w -> RouteCodec.write(w, CodecRoundTripTest.MULTIPATH, false));
    }

    @Test
    void neighbourDecoder() {
        fuzz("neighbour", NeighbourCodec.HEADER, new int[] {Rt.RTM_NEWNEIGH, Rt.RTM_DELNEIGH}, NeighbourCodec::decode,
                w -> NeighbourCodec.write(w, CodecRoundTripTest.NEIGHBOUR));
    }

    @Test
    void fdbDecoder() {
        fuzz("fdb", NeighbourCodec.HEADER, new int[] {Rt.RTM_NEWNEIGH, Rt.RTM_DELNEIGH}, FdbCodec::decode,
                w -> FdbCodec.write(w, CodecRoundTripTest.FDB));
    }

    /** A zero-length attribute must end the walk, not spin on it. */
    @Test
    void zeroLengthAttributeEndsTheWalk() {
        ByteBuffer b = ByteBuffer.allocate(64).order(java.nio.ByteOrder.nativeOrder());
        b.putInt(4, 3); // index 3; the attribute at 16 has length 0
        b.putShort(16, (short) 0).putShort(18, (short) Rt.IFLA_IFNAME);
        Link l = LinkCodec.decode(b, Rt.RTM_NEWLINK, 0, 64);
        assertEquals(3, l.index());
        assertEquals(null, l.name());
    }

    @Test
    void aBodyShorterThanItsHeaderIsADecodeError() {
        ByteBuffer b = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder());
        try {
            RouteCodec.decode(b, Rt.RTM_NEWROUTE, 0, 8);
            fail("an 8-byte route body decoded");
        } catch (NetlinkDecodeException e) {
            assertEquals(dev.weft.libc.Errno.EBADMSG, e.errno());
        }
    }

    private static void fuzz(String name, int header, int[] types, Decoder decoder, Consumer<MessageWriter> valid) {
        Random rnd = new Random(0x5eed_0000L + name.hashCode());
        byte[] good = encode(valid);
        int decoded = 0;
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = switch (i % 3) {
                case 0 -> randomBytes(rnd);
                case 1 -> withLyingAttributes(rnd, header);
                default -> mutated(rnd, good);
            };
            ByteBuffer b = ByteBuffer.wrap(input).order(java.nio.ByteOrder.nativeOrder());
            int type = rnd.nextInt(8) == 0 ? rnd.nextInt(40) : types[rnd.nextInt(types.length)];
            int from = rnd.nextInt(16) == 0 ? rnd.nextInt(input.length + 1) : 0;
            int to = rnd.nextInt(16) == 0 ? from + rnd.nextInt(input.length - from + 1) : input.length;
            try {
                if (decoder.decode(b, type, from, to) != null) {
                    decoded++;
                }
            } catch (NetlinkDecodeException expected) {
                // the one failure a decoder may report
            } catch (RuntimeException e) {
                throw new AssertionError(name + " decoder threw " + e + " on input #" + i + " type " + type + " ["
                        + from + ", " + to + "): " + HexFormat.of().formatHex(input), e);
            }
        }
        if (decoded == 0) {
            fail(name + ": no input decoded to a value, so the fuzzing never got past the header");
        }
    }

    private static byte[] encode(Consumer<MessageWriter> body) {
        MessageWriter w = new MessageWriter(256);
        body.accept(w);
        ByteBuffer b = w.flip();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(96)];
        rnd.nextBytes(b);
        return b;
    }

    /** A random header, then attributes (sometimes nested) whose length fields may be 0, short or too long. */
    private static byte[] withLyingAttributes(Random rnd, int header) {
        ByteBuffer b = ByteBuffer.allocate(header + 512).order(java.nio.ByteOrder.nativeOrder());
        byte[] h = new byte[header];
        rnd.nextBytes(h);
        b.put(h);
        writeAttrs(rnd, b, 2);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static void writeAttrs(Random rnd, ByteBuffer b, int depth) {
        int n = rnd.nextInt(6);
        for (int k = 0; k < n && b.remaining() >= 64; k++) {
            int start = b.position();
            int type = ATTR_TYPES[rnd.nextInt(ATTR_TYPES.length)] | (rnd.nextBoolean() ? Rt.NLA_F_NESTED : 0);
            b.putShort((short) 0).putShort((short) type);
            if (depth > 0 && rnd.nextInt(3) == 0) {
                writeAttrs(rnd, b, depth - 1);
            } else {
                byte[] payload = new byte[new int[] {0, 1, 2, 4, 6, 16, rnd.nextInt(20)}[rnd.nextInt(7)]];
                rnd.nextBytes(payload);
                b.put(payload);
            }
            int honest = b.position() - start;
            int len = switch (rnd.nextInt(6)) {
                case 0 -> 0;
                case 1 -> rnd.nextInt(4);
                case 2 -> honest + 1 + rnd.nextInt(600);
                case 3 -> rnd.nextInt(0x10000);
                default -> honest;
            };
            b.putShort(start, (short) len);
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
        }
    }

    /** A valid message with a few bytes changed, then perhaps cut short. */
    private static byte[] mutated(Random rnd, byte[] good) {
        byte[] b = good.clone();
        for (int k = rnd.nextInt(4); k >= 0; k--) {
            b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        return rnd.nextBoolean() ? java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1)) : b;
    }
}
