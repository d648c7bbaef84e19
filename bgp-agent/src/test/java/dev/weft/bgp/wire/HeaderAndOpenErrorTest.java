package dev.weft.bgp.wire;

import static dev.weft.bgp.wire.WireFixtures.AS4;
import static dev.weft.bgp.wire.WireFixtures.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The header checks (RFC 4271 §6.1), OPEN checks (§6.2) and ROUTE-REFRESH length (RFC 7313 §5), each with its code, subcode and data. */
class HeaderAndOpenErrorTest {
    private static final String OPEN_BODY = "04 fc00 005a 0a630001 00";

    @Test
    void badMarker() {
        byte[] m = message(4, "");
        m[7] = (byte) 0xfe;
        assertError(m, AS4, new Notification(1, 1, Octets.EMPTY));
    }

    @Test
    void lengthOutsideTheLimits() {
        assertError(withLength(message(4, ""), 18), AS4, new Notification(1, 2, Octets.ofHex("0012")));
        byte[] big = message(3, new byte[4097 - 19 - 2 + 2]);
        assertError(big, AS4, new Notification(1, 2, Octets.ofHex("1001")));
        CodecContext ext = new CodecContext(true, Set.of(), Set.of(), true);
        assertEquals(Notification.class, decodeOk(big, ext).getClass());
    }

    @Test
    void lengthBelowTheTypesMinimum() {
        assertError(message(1, "04 fc00 005a 0a630001"), AS4, new Notification(1, 2, Octets.ofHex("001c")));
        assertError(message(2, "0000"), AS4, new Notification(1, 2, Octets.ofHex("0015")));
        assertError(message(3, "06"), AS4, new Notification(1, 2, Octets.ofHex("0014")));
        assertError(message(4, "00"), AS4, new Notification(1, 2, Octets.ofHex("0014")));
        assertError(message(5, "000100"), AS4, new Notification(1, 2, Octets.ofHex("0016")));
    }

    @Test
    void openBeyond4096EvenOnAnExtendedSession() {
        byte[] body = new byte[5000];
        CodecContext ext = new CodecContext(true, Set.of(), Set.of(), true);
        assertError(message(1, body), ext, new Notification(1, 2, Octets.ofHex("139b")));
    }

    @Test
    void unknownType() {
        assertError(message(6, "00"), AS4, new Notification(1, 3, Octets.ofHex("06")));
        assertError(message(0, ""), AS4, new Notification(1, 3, Octets.ofHex("00")));
    }

    @Test
    void headerCheckWaitsFor19Octets() throws Exception {
        byte[] m = message(4, "");
        assertEquals(-1, BgpCodec.messageLength(Unpooled.wrappedBuffer(m, 0, 18), 0, AS4));
        assertEquals(19, BgpCodec.messageLength(Unpooled.wrappedBuffer(m), 0, AS4));
    }

    @Test
    void unsupportedVersion() {
        assertError(message(1, "03 fc00 005a 0a630001 00"), AS4, new Notification(2, 1, Octets.ofHex("0004")));
    }

    @Test
    void holdTimeOneOrTwo() throws Exception {
        assertError(message(1, "04 fc00 0001 0a630001 00"), AS4, Notification.of(2, 6));
        assertError(message(1, "04 fc00 0002 0a630001 00"), AS4, Notification.of(2, 6));
        assertEquals(0, ((Open) decodeOk(message(1, "04 fc00 0000 0a630001 00"), AS4)).holdTime());
        assertEquals(3, ((Open) decodeOk(message(1, "04 fc00 0003 0a630001 00"), AS4)).holdTime());
    }

    @Test
    void bgpIdentifierZero() {
        assertError(message(1, "04 fc00 005a 00000000 00"), AS4, Notification.of(2, 3));
    }

    @Test
    void nonCapabilityParameter() {
        assertError(message(1, "04 fc00 005a 0a630001 04 01 02 0000"), AS4, Notification.of(2, 4));
    }

    @Test
    void parameterLengthsThatDoNotAddUp() {
        assertError(message(1, "04 fc00 005a 0a630001 05 02 02 0200"), AS4, Notification.of(2, 0));
        assertError(message(1, "04 fc00 005a 0a630001 03 02 02 0200"), AS4, Notification.of(2, 0));
        assertError(message(1, "04 fc00 005a 0a630001 04 02 03 0200"), AS4, Notification.of(2, 0));
        assertError(message(1, "04 fc00 005a 0a630001 04 02 02 4104"), AS4, Notification.of(2, 0));
        assertError(message(1, "04 fc00 005a 0a630001 03 02 01 02"), AS4, Notification.of(2, 0));
    }

    @Test
    void malformedKnownCapabilityIsKeptAsUnknown() throws Exception {
        Open o = (Open) decodeOk(message(1, OPEN_BODY.substring(0, OPEN_BODY.length() - 2) + "07 02 05 4103 000001"), AS4);
        assertEquals(List.of(new Capability.Unknown(65, Octets.ofHex("000001"))), o.capabilities());
        assertEquals(64512, o.as());
    }

    @Test
    void borrAndEorrMustBeFourOctets() throws Exception {
        byte[] borr = message(5, "0001 01 01 00");
        assertError(borr, AS4, new Notification(7, 1, Octets.of(borr)));
        // a request may carry ORF entries, which are ignored
        assertEquals(new RouteRefresh(1, 0, 1), decodeOk(message(5, "0001 00 01 01 0000"), AS4));
    }

    private static byte[] withLength(byte[] m, int length) {
        m[16] = (byte) (length >> 8);
        m[17] = (byte) length;
        return m;
    }

    private static BgpMessage decodeOk(byte[] frame, CodecContext ctx) {
        try {
            return WireFixtures.decode(frame, ctx);
        } catch (BgpWireException e) {
            throw new AssertionError(e.notification().toString(), e);
        }
    }

    static void assertError(byte[] frame, CodecContext ctx, Notification expected) {
        BgpWireException e = assertThrows(BgpWireException.class,
                () -> BgpCodec.decodeFrame(Unpooled.wrappedBuffer(frame, 0, Math.min(frame.length, lengthField(frame))), ctx));
        assertEquals(expected, e.notification(), e.getMessage());
    }

    private static int lengthField(byte[] frame) {
        int l = ((frame[16] & 0xff) << 8) | (frame[17] & 0xff);
        return l < 19 ? frame.length : l;
    }

}
