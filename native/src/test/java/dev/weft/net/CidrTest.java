package dev.weft.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    private static Cidr cidr(String s) {
        return Cidr.parse(s);
    }

    private static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    // ------------------------------------------------------------ parsing

    @ParameterizedTest
    @CsvSource({
        "10.1.0.5/16, 10.1.0.5, 16",
        "10.244.1.0/24, 10.244.1.0, 24",
        "0.0.0.0/0, 0.0.0.0, 0",
        "192.168.1.1/32, 192.168.1.1, 32",
        "2001:db8::1/64, 2001:db8::1, 64",
        "2001:0DB8:0:0::1/128, 2001:db8::1, 128",
        "::/0, ::, 0",
        "::ffff:10.0.0.1/120, ::ffff:10.0.0.1, 120",
    })
    void parsesAndKeepsHostBits(String text, String addr, int prefix) {
        Cidr c = cidr(text);
        assertEquals(ip(addr), c.address());
        assertEquals(prefix, c.prefixLength());
        assertEquals(addr + "/" + prefix, c.toString());
        assertEquals(c, cidr(c.toString()));
        assertEquals(c, Cidr.of(ip(addr), prefix));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "/", "10.0.0.0", "10.0.0.0/", "/24", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
        "10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0.0/8 ", "10.0.0.0/8/9", "10.0.0.0/1000", "10.0.0/8", "01.0.0.0/8",
        "::/129", "2001:db8::/064", "fe80::1%eth0/64", "host.example/24", "10.0.0.0/0x8", "10.0.0.0-8",
        "10.0.0.0/99999999999",
    })
    void rejectsMalformedCidrs(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cidr(text));
        assertTrue(e.getMessage().contains("\"" + text + "\""), "message should name the input: " + e.getMessage());
    }

    @Test
    void constructorValidatesPrefix() {
        assertThrows(IllegalArgumentException.class, () -> Cidr.of(ip("10.0.0.0"), 33));
        assertThrows(IllegalArgumentException.class, () -> Cidr.of(ip("10.0.0.0"), -1));
        assertThrows(IllegalArgumentException.class, () -> Cidr.of(ip("::"), 129));
        assertThrows(NullPointerException.class, () -> Cidr.of(null, 8));
        assertEquals(cidr("10.0.0.7/32"), Cidr.ofHost(ip("10.0.0.7")));
        assertEquals(cidr("::7/128"), Cidr.ofHost(ip("::7")));
    }

    // ------------------------------------------------------------ block geometry

    @ParameterizedTest
    @CsvSource({
        // cidr,            network,       broadcast,       netmask,          first,        last,           size
        "10.1.2.3/24,       10.1.2.0,      10.1.2.255,      255.255.255.0,    10.1.2.1,     10.1.2.254,     256",
        "10.1.0.5/16,       10.1.0.0,      10.1.255.255,    255.255.0.0,      10.1.0.1,     10.1.255.254,   65536",
        "10.0.0.7/31,       10.0.0.6,      10.0.0.7,        255.255.255.254,  10.0.0.6,     10.0.0.7,       2",
        "10.0.0.7/32,       10.0.0.7,      10.0.0.7,        255.255.255.255,  10.0.0.7,     10.0.0.7,       1",
        "10.0.0.7/30,       10.0.0.4,      10.0.0.7,        255.255.255.252,  10.0.0.5,     10.0.0.6,       4",
        "1.2.3.4/0,         0.0.0.0,       255.255.255.255, 0.0.0.0,          0.0.0.1,      255.255.255.254, 4294967296",
        "200.1.1.1/1,       128.0.0.0,     255.255.255.255, 128.0.0.0,        128.0.0.1,    255.255.255.254, 2147483648",
        "2001:db8::1/64,    2001:db8::,    2001:db8::ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff::, 2001:db8::1, 2001:db8::ffff:ffff:ffff:ffff, 18446744073709551616",
        "2001:db8::5/127,   2001:db8::4,   2001:db8::5,     ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe, 2001:db8::5, 2001:db8::5, 2",
        "2001:db8::5/128,   2001:db8::5,   2001:db8::5,     ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 2001:db8::5, 2001:db8::5, 1",
        "fd00:10:244:1::9/56, fd00:10:244::, fd00:10:244:ff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ff00::, fd00:10:244::1, fd00:10:244:ff:ffff:ffff:ffff:ffff, 4722366482869645213696",
        "2001:db8::1/0,     ::,            ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ::, ::1, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 340282366920938463463374607431768211456",
    })
    void blockGeometry(String text, String network, String broadcast, String netmask, String first, String last,
                       String size) {
        Cidr c = cidr(text);
        assertEquals(ip(network), c.networkAddress(), "network");
        assertEquals(ip(broadcast), c.broadcastAddress(), "broadcast");
        assertEquals(ip(netmask), c.netmask(), "netmask");
        assertEquals(ip(first), c.firstHost(), "first host");
        assertEquals(ip(last), c.lastHost(), "last host");
        assertEquals(new BigInteger(size), c.size(), "size");
        assertEquals(Cidr.of(ip(network), c.prefixLength()), c.network());
        assertTrue(c.contains(c.address()));
        assertTrue(c.contains(c.networkAddress()));
        assertTrue(c.contains(c.broadcastAddress()));
        assertTrue(c.contains(c.firstHost()));
        assertTrue(c.contains(c.lastHost()));
        // broadcast - network + 1 == size, checked independently of size()'s shift.
        assertEquals(c.size(), c.broadcastAddress().toBigInteger().subtract(c.networkAddress().toBigInteger())
                .add(BigInteger.ONE));
    }

    @Test
    void hasHostBits() {
        assertTrue(cidr("10.1.0.5/16").hasHostBits());
        assertFalse(cidr("10.1.0.0/16").hasHostBits());
        assertTrue(cidr("10.0.0.1/0").hasHostBits());
        assertFalse(cidr("0.0.0.0/0").hasHostBits());
        assertFalse(cidr("10.0.0.1/32").hasHostBits());
        assertTrue(cidr("10.0.0.1/31").hasHostBits());
        assertFalse(cidr("10.0.0.0/31").hasHostBits());
        assertTrue(cidr("2001:db8::1/64").hasHostBits());
        assertFalse(cidr("2001:db8::/64").hasHostBits());
        assertTrue(cidr("2001:db8:0:0:8000::/64").hasHostBits());
        assertTrue(cidr("2001:db8:0:1::/63").hasHostBits());
        assertFalse(cidr("2001:db8::1/128").hasHostBits());
        assertTrue(cidr("2001:db8::1/127").hasHostBits());
    }

    @Test
    void networkReturnsSameInstanceWhenAlreadyCanonical() {
        Cidr c = cidr("10.244.0.0/16");
        assertSame(c, c.network());
        assertEquals(cidr("10.244.0.0/16"), cidr("10.244.3.9/16").network());
        assertNotEquals(cidr("10.244.0.0/16"), cidr("10.244.3.9/16"), "host bits are part of the value");
    }

    // ------------------------------------------------------------ containment

    @Test
    void containsAddress() {
        Cidr c = cidr("10.244.1.0/24");
        assertTrue(c.contains(ip("10.244.1.0")));
        assertTrue(c.contains(ip("10.244.1.255")));
        assertFalse(c.contains(ip("10.244.2.0")));
        assertFalse(c.contains(ip("10.244.0.255")));
        assertFalse(c.contains(ip("::ffff:10.244.1.1")), "other family never matches");
        assertTrue(cidr("0.0.0.0/0").contains(ip("255.255.255.255")));
        assertFalse(cidr("0.0.0.0/0").contains(ip("::")));
        assertTrue(cidr("128.0.0.0/1").contains(ip("200.0.0.0")));
        assertFalse(cidr("128.0.0.0/1").contains(ip("127.255.255.255")));
        assertTrue(cidr("10.0.0.1/32").contains(ip("10.0.0.1")));
        assertFalse(cidr("10.0.0.1/32").contains(ip("10.0.0.0")));

        Cidr v6 = cidr("2001:db8::/64");
        assertTrue(v6.contains(ip("2001:db8::ffff:ffff:ffff:ffff")));
        assertFalse(v6.contains(ip("2001:db8:0:1::")));
        assertFalse(v6.contains(ip("10.0.0.1")));
        assertTrue(cidr("2001:db8::/63").contains(ip("2001:db8:0:1::")));
        assertFalse(cidr("2001:db8::/65").contains(ip("2001:db8::8000:0:0:0")));
        assertTrue(cidr("2001:db8::/65").contains(ip("2001:db8::7fff:0:0:0")));
        assertTrue(cidr("::/0").contains(ip("ffff::")));
        assertTrue(cidr("2001:db8::5/128").contains(ip("2001:db8::5")));
        assertFalse(cidr("2001:db8::5/128").contains(ip("2001:db8::4")));
        assertTrue(cidr("2001:db8::4/127").contains(ip("2001:db8::5")));
    }

    @Test
    void containsMatchesBigIntegerDefinitionOnRandomInputs() {
        SplittableRandom rnd = new SplittableRandom(1234);
        for (int i = 0; i < 5000; i++) {
            boolean v6 = rnd.nextBoolean();
            IpAddress base = v6 ? IpAddress.ofV6(rnd.nextLong(), rnd.nextLong()) : IpAddress.ofV4(rnd.nextInt());
            int prefix = rnd.nextInt(base.bitLength() + 1);
            // Flip random bits below a random position, so the probe shares a prefix of random length
            // with base and both outcomes (and every boundary) are common.
            IpAddress probe = flipLowBits(base, rnd.nextInt(base.bitLength() + 1), rnd);
            Cidr c = Cidr.of(base, prefix);
            int shift = base.bitLength() - prefix;
            boolean expected = base.toBigInteger().shiftRight(shift).equals(probe.toBigInteger().shiftRight(shift));
            assertEquals(expected, c.contains(probe), c + " contains " + probe);
        }
    }

    private static IpAddress flipLowBits(IpAddress base, int k, SplittableRandom rnd) {
        BigInteger mask = BigInteger.ONE.shiftLeft(k).subtract(BigInteger.ONE);
        BigInteger noise = new BigInteger(k + 1, new java.util.Random(rnd.nextLong())).and(mask);
        return IpAddress.fromBigInteger(base.toBigInteger().xor(noise), base.isV6());
    }

    @Test
    void containsCidrAndOverlaps() {
        Cidr big = cidr("10.244.0.0/16");
        Cidr small = cidr("10.244.7.0/24");
        Cidr other = cidr("10.245.0.0/16");
        assertTrue(big.contains(small));
        assertFalse(small.contains(big));
        assertTrue(big.contains(big));
        assertFalse(big.contains(other));
        assertTrue(big.overlaps(small));
        assertTrue(small.overlaps(big));
        assertFalse(big.overlaps(other));
        assertFalse(other.overlaps(small));
        assertTrue(cidr("0.0.0.0/0").overlaps(small));
        assertTrue(cidr("10.0.0.0/31").overlaps(cidr("10.0.0.1/32")));
        assertFalse(cidr("10.0.0.0/32").overlaps(cidr("10.0.0.1/32")));
        assertTrue(cidr("10.244.9.9/16").contains(cidr("10.244.7.1/24")), "host bits are ignored for matching");

        assertTrue(cidr("fd00::/8").contains(cidr("fd00:10:244:1::/64")));
        assertTrue(cidr("fd00:10:244:1::/64").overlaps(cidr("fd00::/8")));
        assertFalse(cidr("fd00:10:244:1::/64").overlaps(cidr("fd00:10:244:2::/64")));
        assertFalse(cidr("::/0").overlaps(cidr("0.0.0.0/0")), "families never overlap");
        assertFalse(cidr("::/0").contains(cidr("0.0.0.0/0")));
    }

    // ------------------------------------------------------------ indexing

    @Test
    void nthStaysInside() {
        Cidr c = cidr("10.244.1.77/24");
        assertEquals(ip("10.244.1.0"), c.nth(0));
        assertEquals(ip("10.244.1.10"), c.nth(10));
        assertEquals(ip("10.244.1.255"), c.nth(255));
        assertThrows(IllegalArgumentException.class, () -> c.nth(256));
        assertThrows(IllegalArgumentException.class, () -> c.nth(-1));
        assertEquals(ip("255.255.255.255"), cidr("0.0.0.0/0").nth(0xffffffffL));
        assertThrows(IllegalArgumentException.class, () -> cidr("0.0.0.0/0").nth(0x100000000L));
        assertEquals(ip("10.0.0.1"), cidr("10.0.0.1/32").nth(0));
        assertThrows(IllegalArgumentException.class, () -> cidr("10.0.0.1/32").nth(1));

        Cidr v6 = cidr("fd00:10:244:1::/64");
        assertEquals(ip("fd00:10:244:1::2a"), v6.nth(42));
        assertEquals(ip("fd00:10:244:1:7fff:ffff:ffff:ffff"), v6.nth(Long.MAX_VALUE));
        assertEquals(ip("fd00:10:244:1::1:0"), cidr("fd00:10:244:1::/96").nth(0x10000));
        assertThrows(IllegalArgumentException.class, () -> cidr("fd00:10:244:1::/96").nth(0x100000000L));
        assertEquals(ip("fd00:10:244:1::ffff:ffff"), cidr("fd00:10:244:1::/96").nth(0xffffffffL));
        assertThrows(IllegalArgumentException.class, () -> cidr("2001:db8::/127").nth(2));
        assertEquals(ip("::7fff:ffff:ffff:ffff"), cidr("::/65").nth(Long.MAX_VALUE), "63 host bits");
        assertThrows(IllegalArgumentException.class, () -> cidr("::/66").nth(Long.MAX_VALUE), "62 host bits");
    }

    // ------------------------------------------------------------ flannel key form

    @ParameterizedTest
    @CsvSource({
        "10.244.1.0-24, 10.244.1.0/24",
        "10.244.0.0-16, 10.244.0.0/16",
        "fd00:10:244:1::-64, fd00:10:244:1::/64",
        "::-0, ::/0",
        "0.0.0.0-0, 0.0.0.0/0",
    })
    void keyFormRoundTrips(String key, String cidr) {
        Cidr c = Cidr.parseKeyForm(key);
        assertEquals(cidr(cidr), c);
        assertEquals(key, c.toKeyForm());
        assertEquals(c, Cidr.parseKeyForm(c.toKeyForm()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.1.0/24", "10.244.1.0-", "10.244.1.0-33", "10.244.1.0--24", "-24", "10.244.1.0-+24",
        "fd00::-129", "10.244.1.0-24-1"})
    void keyFormRejects(String key) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parseKeyForm(key));
        assertTrue(e.getMessage().contains("\"" + key + "\""), e.getMessage());
    }

    // ------------------------------------------------------------ value semantics

    @Test
    void equalityAndOrdering() {
        assertEquals(cidr("10.0.0.0/8"), cidr("10.0.0.0/8"));
        assertEquals(cidr("10.0.0.0/8").hashCode(), cidr("10.0.0.0/8").hashCode());
        assertNotEquals(cidr("10.0.0.0/8"), cidr("10.0.0.0/9"));
        assertNotEquals(cidr("10.0.0.1/8"), cidr("10.0.0.0/8"));

        List<Cidr> list = new ArrayList<>(List.of(
                cidr("10.244.1.0/24"), cidr("10.0.0.0/8"), cidr("10.0.0.0/16"), cidr("10.0.0.5/8"),
                cidr("::/0"), cidr("192.168.0.0/16"), cidr("9.0.0.0/8"), cidr("fd00::/8"), cidr("10.1.0.0/16")));
        Collections.shuffle(list, new java.util.Random(3));
        Collections.sort(list);
        assertEquals(List.of(
                cidr("9.0.0.0/8"), cidr("10.0.0.0/8"), cidr("10.0.0.5/8"), cidr("10.0.0.0/16"), cidr("10.1.0.0/16"),
                cidr("10.244.1.0/24"), cidr("192.168.0.0/16"), cidr("::/0"), cidr("fd00::/8")), list);
        assertTrue(cidr("10.0.0.5/8").compareTo(cidr("10.0.0.0/8")) > 0, "ties broken consistently with equals");
    }
}
