package dev.weft.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks parsing and formatting against the JDK's own address code on random values. Only
 * {@link InetAddress#getByAddress(byte[])} is used, which never touches DNS.
 */
class IpAddressJdkCrossCheckTest {

    private static final int ROUNDS = 5000;

    @Test
    void randomV4AgreesWithJdk() throws Exception {
        SplittableRandom rnd = new SplittableRandom(0x5eed4);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] bytes = new byte[4];
            for (int j = 0; j < 4; j++) {
                // Bias toward 0 and 255 so single-digit and boundary octets are common.
                int pick = rnd.nextInt(6);
                bytes[j] = (byte) (pick == 0 ? 0 : pick == 1 ? 255 : rnd.nextInt(256));
            }
            IpAddress a = IpAddress.ofBytes(bytes);
            InetAddress jdk = InetAddress.getByAddress(bytes);

            assertEquals(jdk.getHostAddress(), a.toString(), "dotted quad");
            assertArrayEquals(bytes, IpAddress.parse(a.toString()).toBytes(), a.toString());
            assertArrayEquals(jdk.getAddress(), a.toInetAddress().getAddress());
            assertEquals(jdk, a.toInetAddress());
            assertEquals(ByteBuffer.wrap(bytes).getInt(), a.toV4Int());
            assertEquals(a, IpAddress.fromInetAddress(jdk));
        }
    }

    @Test
    void randomV6AgreesWithJdk() throws Exception {
        SplittableRandom rnd = new SplittableRandom(0x5eed6);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] bytes = randomV6(rnd);
            IpAddress a = IpAddress.ofBytes(bytes);
            String text = a.toString();

            // Our text parses back to the same bytes.
            assertArrayEquals(bytes, IpAddress.parse(text).toBytes(), text);
            // Same for the JDK's uncompressed text, and for an uppercase spelling.
            InetAddress jdk = InetAddress.getByAddress(bytes);
            assertArrayEquals(bytes, IpAddress.parse(jdk.getHostAddress()).toBytes(), jdk.getHostAddress());
            assertArrayEquals(bytes, IpAddress.parse(text.toUpperCase()).toBytes(), text);
            assertArrayEquals(jdk.getAddress(), a.toInetAddress().getAddress());
            assertTrue(a.toInetAddress() instanceof Inet6Address);

            if (jdk instanceof Inet6Address) { // the JDK reports mapped addresses as Inet4Address
                assertEquals(a, IpAddress.fromInetAddress(jdk));
                assertEquals(reference5952(jdk.getHostAddress()), text, "RFC 5952 form of " + jdk.getHostAddress());
            } else {
                assertTrue(jdk instanceof Inet4Address && a.isV4Mapped());
            }
        }
    }

    @Test
    void mappedAddressesUseMixedNotation() throws Exception {
        SplittableRandom rnd = new SplittableRandom(99);
        for (int i = 0; i < 500; i++) {
            byte[] v4 = new byte[4];
            for (int j = 0; j < 4; j++) {
                v4[j] = (byte) rnd.nextInt(256);
            }
            byte[] v6 = new byte[16];
            v6[10] = (byte) 0xff;
            v6[11] = (byte) 0xff;
            System.arraycopy(v4, 0, v6, 12, 4);
            IpAddress mapped = IpAddress.ofBytes(v6);
            String dotted = InetAddress.getByAddress(v4).getHostAddress();
            assertEquals("::ffff:" + dotted, mapped.toString());
            assertArrayEquals(v6, IpAddress.parse(mapped.toString()).toBytes());
            assertEquals(IpAddress.ofBytes(v4), mapped.unmap());
        }
    }

    /** Random 16 bytes where each 16-bit group is zero half the time, to exercise "::" choice. */
    private static byte[] randomV6(SplittableRandom rnd) {
        byte[] b = new byte[16];
        for (int g = 0; g < 8; g++) {
            int value;
            switch (rnd.nextInt(6)) {
                case 0, 1, 2 -> value = 0;
                case 3 -> value = rnd.nextInt(16);
                default -> value = rnd.nextInt(0x10000);
            }
            b[2 * g] = (byte) (value >>> 8);
            b[2 * g + 1] = (byte) value;
        }
        return b;
    }

    private static final Pattern ZERO_RUN = Pattern.compile("(?<![0-9a-f])0(?::0)+(?![0-9a-f])");

    /**
     * An independent, string-based RFC 5952 formatter: starting from the JDK's uncompressed form
     * (already lowercase, no leading zeros), replace the first longest run of "0:0..." by "::".
     */
    private static String reference5952(String full) {
        Matcher m = ZERO_RUN.matcher(full);
        int bestStart = -1;
        int bestEnd = -1;
        while (m.find()) {
            if (m.end() - m.start() > bestEnd - bestStart) {
                bestStart = m.start();
                bestEnd = m.end();
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = full.substring(0, bestStart);
        String tail = full.substring(bestEnd);
        if (head.endsWith(":")) {
            head = head.substring(0, head.length() - 1);
        }
        if (tail.startsWith(":")) {
            tail = tail.substring(1);
        }
        return head + "::" + tail;
    }

    @Test
    void referenceFormatterSanity() {
        assertEquals("2001:db8::1:0:0:1", reference5952("2001:db8:0:0:1:0:0:1"));
        assertEquals("::1", reference5952("0:0:0:0:0:0:0:1"));
        assertEquals("1::", reference5952("1:0:0:0:0:0:0:0"));
        assertEquals("2001:db8:0:1:1:1:1:1", reference5952("2001:db8:0:1:1:1:1:1"));
        assertEquals("a0:b0::", reference5952("a0:b0:0:0:0:0:0:0"));
    }
}
