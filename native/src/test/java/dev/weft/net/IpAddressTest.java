package dev.weft.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    // ------------------------------------------------------------ parse / format

    @ParameterizedTest
    @CsvSource({
        // input, canonical
        "0.0.0.0, 0.0.0.0",
        "1.2.3.4, 1.2.3.4",
        "10.244.1.0, 10.244.1.0",
        "255.255.255.255, 255.255.255.255",
        "192.168.0.1, 192.168.0.1",
        // RFC 5952 section 4 examples and friends
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
        "2001:db8::0:1, 2001:db8::1",
        "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
        "2001:db8::1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:0:0:1:0:0:0, 2001:db8:0:0:1::",
        "2001:DB8::ABCD, 2001:db8::abcd",
        "::, ::",
        "0:0:0:0:0:0:0:0, ::",
        "::1, ::1",
        "0:0:0:0:0:0:0:1, ::1",
        "1::, 1::",
        "1:0:0:0:0:0:0:0, 1::",
        "fe80::1, fe80::1",
        "FE80:0000:0000:0000:0000:0000:0000:0001, fe80::1",
        "1:2:3:4:5:6:7:8, 1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::, 1:2:3:4:5:6:7:0",
        "::2:3:4:5:6:7:8, 0:2:3:4:5:6:7:8",
        "1:0:1:0:1:0:1:0, 1:0:1:0:1:0:1:0",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fd00:10:244:1::, fd00:10:244:1::",
        // embedded IPv4
        "::ffff:192.0.2.1, ::ffff:192.0.2.1",
        "::FFFF:192.0.2.1, ::ffff:192.0.2.1",
        "0:0:0:0:0:ffff:c000:0201, ::ffff:192.0.2.1",
        "::ffff:0.0.0.0, ::ffff:0.0.0.0",
        "::1.2.3.4, ::102:304",
        "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
        "1:2:3:4:5:6:1.2.3.4, 1:2:3:4:5:6:102:304",
    })
    void parsesAndFormatsCanonically(String input, String canonical) {
        IpAddress a = ip(input);
        assertEquals(canonical, a.toString());
        assertEquals(a, ip(canonical), "canonical form must parse back to the same value");
        assertEquals(a.hashCode(), ip(canonical).hashCode());
    }

    @Test
    void rfc5952PrefersFirstOfEqualRuns() {
        assertEquals("2001:db8::1:0:0:1", ip("2001:db8:0:0:1:0:0:1").toString());
        assertEquals("1::1:0:0:0", ip("1:0:0:0:1:0:0:0").toString());
        // Longer later run beats shorter earlier run.
        assertEquals("1:0:0:1::1", ip("1:0:0:1:0:0:0:1").toString());
        assertEquals("::1:0:0:0:1", ip("0:0:0:1:0:0:0:1").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "00.0.0.0",
        " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", "1.+2.3.4", "1..2.3", ".1.2.3", "1.2.3.4.", "-1.2.3.4",
        "1.2.3.4/24", "1234.1.1.1", "1.2.3.a", "0x1.2.3.4", "１.2.3.4", "4294967295", "host.example",
        "localhost",
        "1:2:3:4:5:6:7:8:9", ":::", "1::2::3", "fe80::1%eth0", "::%1", ":", ":1", "1:", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8",
        "::ffff:1.2.3", "::ffff:256.1.1.1", "::ffff:01.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4::",
        "::1.2.3.4:5", "1:2:3:4:5:1.2.3.4", "::ffff:1.2.3.4.5", "[::1]", "::1 ", " ::1", "::-1", "１::",
    })
    void rejectsMalformedInput(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ip(input));
        assertTrue(e.getMessage().contains("\"" + input + "\""), "message should name the input: " + e.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(NullPointerException.class, () -> IpAddress.parse(null));
    }

    @Test
    void zoneIsRejectedWithAClearReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ip("fe80::1%eth0"));
        assertTrue(e.getMessage().contains("zone"), e.getMessage());
    }

    @Test
    void leadingZeroMessageExplainsItself() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ip("010.1.1.1"));
        assertTrue(e.getMessage().contains("leading zero"), e.getMessage());
    }

    // ------------------------------------------------------------ shape, bytes, buffers

    @Test
    void familyAndLengths() {
        IpAddress v4 = ip("10.0.0.1");
        IpAddress v6 = ip("2001:db8::1");
        assertTrue(v4.isV4());
        assertFalse(v4.isV6());
        assertEquals(32, v4.bitLength());
        assertEquals(4, v4.byteLength());
        assertTrue(v6.isV6());
        assertFalse(v6.isV4());
        assertEquals(128, v6.bitLength());
        assertEquals(16, v6.byteLength());
        assertEquals(0x0a000001, v4.toV4Int());
        assertThrows(IllegalStateException.class, v6::toV4Int);
    }

    @Test
    void v4AndMappedV6AreDistinctValues() {
        IpAddress v4 = ip("192.0.2.1");
        IpAddress mapped = ip("::ffff:192.0.2.1");
        assertNotEquals(v4, mapped);
        assertTrue(mapped.isV4Mapped());
        assertFalse(v4.isV4Mapped());
        assertEquals(v4, mapped.unmap());
        assertEquals(mapped, v4.toV4Mapped());
        assertEquals(v4, v4.unmap());
    }

    @Test
    void bytesRoundTripAndCopy() {
        byte[] b = {10, (byte) 244, 1, 7};
        IpAddress a = IpAddress.ofBytes(b);
        assertEquals("10.244.1.7", a.toString());
        b[0] = 99; // the value must not see later writes
        assertEquals("10.244.1.7", a.toString());
        byte[] out = a.toBytes();
        out[0] = 1;
        assertArrayEquals(new byte[] {10, (byte) 244, 1, 7}, a.toBytes());

        byte[] v6 = new byte[16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = (byte) 0xb8;
        v6[15] = 1;
        assertEquals("2001:db8::1", IpAddress.ofBytes(v6).toString());
        assertArrayEquals(v6, IpAddress.ofBytes(v6).toBytes());

        assertThrows(IllegalArgumentException.class, () -> IpAddress.ofBytes(new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.ofBytes(new byte[0]));
    }

    @Test
    void ofV4MatchesParse() {
        assertEquals(ip("192.168.1.2"), IpAddress.ofV4(0xc0a80102));
        assertEquals(ip("255.255.255.255"), IpAddress.ofV4(-1));
    }

    @Test
    void bufferIoIsNetworkOrderRegardlessOfBufferOrder() {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            ByteBuffer buf = ByteBuffer.allocate(2 + 4 + 16).order(order);
            buf.position(2);
            ip("1.2.3.4").writeTo(buf);
            ip("2001:db8::a:b").writeTo(buf);
            assertEquals(22, buf.position());
            byte[] raw = buf.array();
            assertArrayEquals(new byte[] {1, 2, 3, 4}, java.util.Arrays.copyOfRange(raw, 2, 6));
            assertArrayEquals(ip("2001:db8::a:b").toBytes(), java.util.Arrays.copyOfRange(raw, 6, 22));

            buf.position(2);
            assertEquals(ip("1.2.3.4"), IpAddress.readFrom(buf, 4));
            assertEquals(ip("2001:db8::a:b"), IpAddress.readFrom(buf, 16));
            assertEquals(22, buf.position());
        }
        assertThrows(IllegalArgumentException.class, () -> IpAddress.readFrom(ByteBuffer.allocate(8), 8));
        ByteBuffer small = ByteBuffer.allocate(10);
        assertThrows(java.nio.BufferOverflowException.class, () -> ip("::1").writeTo(small));
        assertEquals(0, small.position(), "a failed write must not leave partial bytes");
        assertThrows(java.nio.BufferUnderflowException.class, () -> IpAddress.readFrom(ByteBuffer.allocate(3), 4));
    }

    @Test
    void inetAddressConversionKeepsFamily() throws Exception {
        InetAddress v4 = ip("10.1.2.3").toInetAddress();
        assertTrue(v4 instanceof Inet4Address);
        assertEquals("10.1.2.3", v4.getHostAddress());

        InetAddress v6 = ip("2001:db8::1").toInetAddress();
        assertTrue(v6 instanceof Inet6Address);
        assertArrayEquals(ip("2001:db8::1").toBytes(), v6.getAddress());
        assertFalse(v6.getHostAddress().contains("%"), v6.getHostAddress());

        InetAddress mapped = ip("::ffff:10.1.2.3").toInetAddress();
        assertTrue(mapped instanceof Inet6Address, "mapped stays IPv6: " + mapped.getClass());
        assertEquals(16, mapped.getAddress().length);

        assertEquals(ip("10.1.2.3"), IpAddress.fromInetAddress(v4));
        assertEquals(ip("2001:db8::1"), IpAddress.fromInetAddress(v6));
    }

    // ------------------------------------------------------------ arithmetic

    @Test
    void nextAndPreviousCarryAndStopAtTheEnds() {
        assertEquals(ip("10.0.1.0"), ip("10.0.0.255").next());
        assertEquals(ip("10.0.0.255"), ip("10.0.1.0").previous());
        assertEquals(ip("1.0.0.0"), ip("0.255.255.255").next());
        assertEquals(ip("128.0.0.0"), ip("127.255.255.255").next(), "sign bit of the int is just a bit");
        assertThrows(ArithmeticException.class, () -> ip("255.255.255.255").next());
        assertThrows(ArithmeticException.class, () -> ip("0.0.0.0").previous());
        assertEquals(ip("255.255.255.254"), ip("255.255.255.255").previous());

        assertEquals(ip("::1:0"), ip("::ffff").next());
        assertEquals(ip("0:0:0:1::"), ip("::ffff:ffff:ffff:ffff").next(), "carry into the high half");
        assertEquals(ip("::ffff:ffff:ffff:ffff"), ip("0:0:0:1::").previous(), "borrow from the high half");
        assertEquals(ip("8000::"), ip("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").next());
        assertThrows(ArithmeticException.class, () -> ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").next());
        assertThrows(ArithmeticException.class, () -> ip("::").previous());
        assertEquals(ip("::"), ip("::1").previous());
    }

    @Test
    void plusHandlesLargeAndNegativeOffsets() {
        assertEquals(ip("10.0.1.4"), ip("10.0.0.0").plus(260));
        assertEquals(ip("10.0.0.0"), ip("10.0.1.4").plus(-260));
        assertEquals(ip("255.255.255.255"), ip("0.0.0.0").plus(0xffffffffL));
        assertThrows(ArithmeticException.class, () -> ip("0.0.0.0").plus(0x100000000L));
        assertThrows(ArithmeticException.class, () -> ip("0.0.0.1").plus(-2));
        assertThrows(ArithmeticException.class, () -> ip("255.0.0.0").plus(Long.MAX_VALUE));
        assertThrows(ArithmeticException.class, () -> ip("255.0.0.0").plus(Long.MIN_VALUE));
        IpAddress same = ip("10.0.0.1");
        assertEquals(same, same.plus(0));

        assertEquals(ip("::1:7fff:ffff:ffff:ffff"), ip("0:0:0:1:ffff:ffff:ffff:ffff").plus(Long.MIN_VALUE));
        assertEquals(ip("::8000:0:0:0"), ip("::1:0:0:0:0").plus(Long.MIN_VALUE), "borrow with n = MIN_VALUE");
        assertThrows(ArithmeticException.class, () -> ip("::7fff:ffff:ffff:ffff").plus(Long.MIN_VALUE));
        assertEquals(ip("::8000:0:0:0"), ip("::").plus(Long.MAX_VALUE).next());
        assertThrows(ArithmeticException.class,
                () -> ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:0").plus(0x10000));
    }

    @Test
    void plusAgreesWithBigIntegerArithmetic() {
        SplittableRandom rnd = new SplittableRandom(42);
        BigInteger max6 = BigInteger.ONE.shiftLeft(128);
        BigInteger max4 = BigInteger.ONE.shiftLeft(32);
        for (int i = 0; i < 5000; i++) {
            boolean v6 = rnd.nextBoolean();
            IpAddress a = v6 ? IpAddress.ofV6(edgy(rnd), edgy(rnd)) : IpAddress.ofV4((int) edgy(rnd));
            long n = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextLong(-1000, 1000);
            BigInteger expected = a.toBigInteger().add(BigInteger.valueOf(n));
            boolean inRange = expected.signum() >= 0 && expected.compareTo(v6 ? max6 : max4) < 0;
            if (inRange) {
                IpAddress r = a.plus(n);
                assertEquals(expected, r.toBigInteger(), a + " + " + n);
                assertEquals(v6, r.isV6());
            } else {
                assertThrows(ArithmeticException.class, () -> a.plus(n), a + " + " + n);
            }
        }
    }

    /** Random 64-bit values biased toward all-zero and all-one halves, where carries happen. */
    private static long edgy(SplittableRandom rnd) {
        switch (rnd.nextInt(5)) {
            case 0: return 0L;
            case 1: return -1L;
            case 2: return -1L - rnd.nextInt(500);
            case 3: return rnd.nextInt(500);
            default: return rnd.nextLong();
        }
    }

    @Test
    void bigIntegerConversions() {
        assertEquals(BigInteger.valueOf(0xffffffffL), ip("255.255.255.255").toBigInteger());
        assertEquals(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE),
                ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").toBigInteger());
        assertEquals(new BigInteger("20010db8000000000000000000000001", 16), ip("2001:db8::1").toBigInteger());
        assertEquals(ip("2001:db8::1"),
                IpAddress.fromBigInteger(new BigInteger("20010db8000000000000000000000001", 16), true));
        assertEquals(ip("0.0.1.0"), IpAddress.fromBigInteger(BigInteger.valueOf(256), false));
        assertEquals(ip("::100"), IpAddress.fromBigInteger(BigInteger.valueOf(256), true));
        assertEquals(ip("255.255.255.255"), IpAddress.fromBigInteger(BigInteger.valueOf(0xffffffffL), false));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.fromBigInteger(BigInteger.ONE.shiftLeft(32), false));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.fromBigInteger(BigInteger.ONE.shiftLeft(128), true));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.fromBigInteger(BigInteger.valueOf(-1), true));
    }

    // ------------------------------------------------------------ classification

    @ParameterizedTest
    @CsvSource({
        // addr,             unspec, loop,  mcast, linklocal, bcast, global, private
        "0.0.0.0,            true,   false, false, false,     false, false,  false",
        "::,                 true,   false, false, false,     false, false,  false",
        "127.0.0.1,          false,  true,  false, false,     false, false,  false",
        "127.255.0.9,        false,  true,  false, false,     false, false,  false",
        "::1,                false,  true,  false, false,     false, false,  false",
        "224.0.0.1,          false,  false, true,  false,     false, false,  false",
        "239.255.255.255,    false,  false, true,  false,     false, false,  false",
        "ff02::1,            false,  false, true,  false,     false, false,  false",
        "169.254.1.1,        false,  false, false, true,      false, false,  false",
        "fe80::1,            false,  false, false, true,      false, false,  false",
        "febf:ffff::1,       false,  false, false, true,      false, false,  false",
        "fec0::1,            false,  false, false, false,     false, true,   false",
        "255.255.255.255,    false,  false, false, false,     true,  false,  false",
        "10.244.1.5,         false,  false, false, false,     false, true,   true",
        "172.16.0.1,         false,  false, false, false,     false, true,   true",
        "172.32.0.1,         false,  false, false, false,     false, true,   false",
        "192.168.1.1,        false,  false, false, false,     false, true,   true",
        "8.8.8.8,            false,  false, false, false,     false, true,   false",
        "240.0.0.1,          false,  false, false, false,     false, true,   false",
        "2001:db8::1,        false,  false, false, false,     false, true,   false",
        "fd00:10:244::1,     false,  false, false, false,     false, true,   true",
        "::ffff:127.0.0.1,   false,  true,  false, false,     false, false,  false",
        "::ffff:169.254.0.1, false,  false, false, true,      false, false,  false",
        "::ffff:10.0.0.1,    false,  false, false, false,     false, true,   true",
        "::ffff:224.0.0.5,   false,  false, true,  false,     false, false,  false",
    })
    void classifiesLikeGo(String addr, boolean unspec, boolean loop, boolean mcast, boolean linkLocal,
                          boolean bcast, boolean global, boolean priv) {
        IpAddress a = ip(addr);
        assertEquals(unspec, a.isUnspecified(), "unspecified");
        assertEquals(loop, a.isLoopback(), "loopback");
        assertEquals(mcast, a.isMulticast(), "multicast");
        assertEquals(linkLocal, a.isLinkLocalUnicast(), "link-local");
        assertEquals(bcast, a.isBroadcast(), "broadcast");
        assertEquals(global, a.isGlobalUnicast(), "global unicast");
        assertEquals(priv, a.isPrivate(), "private");
    }

    // ------------------------------------------------------------ ordering and equality

    @Test
    void ordersV4BeforeV6ThenNumerically() {
        List<IpAddress> list = new ArrayList<>(List.of(
                ip("::1"), ip("255.255.255.255"), ip("10.0.0.1"), ip("128.0.0.0"), ip("ffff::"),
                ip("::"), ip("0.0.0.0"), ip("8000::"), ip("::ffff:1.2.3.4"), ip("9.255.255.255")));
        Collections.shuffle(list, new java.util.Random(7));
        Collections.sort(list);
        assertEquals(List.of(
                ip("0.0.0.0"), ip("9.255.255.255"), ip("10.0.0.1"), ip("128.0.0.0"), ip("255.255.255.255"),
                ip("::"), ip("::1"), ip("::ffff:1.2.3.4"), ip("8000::"), ip("ffff::")), list);
    }

    @Test
    void equalityIsByFamilyAndValue() {
        assertEquals(ip("10.0.0.1"), IpAddress.ofV4(0x0a000001));
        assertEquals(ip("10.0.0.1").hashCode(), IpAddress.ofV4(0x0a000001).hashCode());
        assertNotEquals(ip("0.0.0.0"), ip("::"));
        assertNotEquals(ip("0.0.0.1"), ip("::1"));
        assertEquals(ip("2001:db8::1"), ip("2001:0DB8:0:0::0:1"));
        assertNotEquals(ip("2001:db8::1"), ip("2001:db8::2"));
        assertEquals(0, ip("::1").compareTo(ip("0::1")));
    }
}
