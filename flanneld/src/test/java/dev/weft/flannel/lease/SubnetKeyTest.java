package dev.weft.flannel.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubnetKeyTest {

    @Test
    void ipv4RoundTrip() {
        SubnetKey k = SubnetKey.parse("10.244.1.0-24").orElseThrow();
        assertEquals(Cidr.parse("10.244.1.0/24"), k.subnet());
        assertNull(k.subnetV6());
        assertEquals("10.244.1.0-24", k.toString());
    }

    @Test
    void dualStackRoundTrip() {
        SubnetKey k = SubnetKey.parse("10.12.13.0-24&fd00:12:13::-56").orElseThrow();
        assertEquals(Cidr.parse("10.12.13.0/24"), k.subnet());
        assertEquals(Cidr.parse("fd00:12:13::/56"), k.subnetV6());
        assertEquals("10.12.13.0-24&fd00:12:13::-56", k.toString());
        assertEquals("10.12.13.0-24&fd00:12:13::-56",
                new SubnetKey(Cidr.parse("10.12.13.0/24"), Cidr.parse("fd00:0012:0013:0000::/56")).toString());
    }

    @Test
    void suffixMatchLikeFlannel() {
        assertEquals("10.5.1.0-24", SubnetKey.parse("/coreos.com/network/subnets/10.5.1.0-24").orElseThrow().toString());
        assertEquals("10.5.1.0-24", SubnetKey.parse("junk10.5.1.0-24").orElseThrow().toString());
        // leading zeros in the length are accepted by ParseUint, but the key is then not canonical
        assertEquals("10.5.1.0-24", SubnetKey.parse("10.5.1.0-024").orElseThrow().toString());
        assertTrue(LeaseValidator.canonicalKey("10.5.1.0-024").isEmpty());
        assertTrue(LeaseValidator.canonicalKey("10.5.1.0-24").isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-a-subnet", "10.5.1.0", "10.5.1.0/24", "10.5.300.0-24", "010.5.1.0-24",
        "10.5x1y0-24", "10.5.1.0-32" /* ParseUint(s, 10, 5): at most 31 */, "10.5.1.0-24\n",
        "10.5.1.0-24&fd00::-128", "10.5.1.0-24&FD00::-64", "10.5.1.0-24 "})
    void rejectedLikeFlannel(String s) {
        assertTrue(SubnetKey.parse(s).isEmpty(), s);
    }

    /** The pattern the parser replaces (flannel's, as weftd ran it before): the oracle for short keys. */
    private static final Pattern FLANNEL = Pattern.compile("(\\d+\\.\\d+.\\d+.\\d+)-(\\d+)(?:&([a-f\\d:]+)-(\\d+))?\\z");

    private static SubnetKeySyntax.Parts oracle(String s) {
        Matcher m = FLANNEL.matcher(s);
        return m.find() ? new SubnetKeySyntax.Parts(m.group(1), m.group(2), m.group(3), m.group(4)) : null;
    }

    /** The old parse, whole: the oracle's groups, BigInteger prefix lengths. */
    private static Optional<SubnetKey> oldParse(String s) {
        SubnetKeySyntax.Parts p = oracle(s);
        if (p == null) {
            return Optional.empty();
        }
        try {
            IpAddress v4 = IpAddress.parse(p.v4());
            if (!v4.isV4() || new BigInteger(p.len4()).compareTo(BigInteger.valueOf(31)) > 0) {
                return Optional.empty();
            }
            Cidr v6 = null;
            if (p.v6() != null) {
                IpAddress a6 = IpAddress.parse(p.v6());
                if (!a6.isV6() || new BigInteger(p.len6()).compareTo(BigInteger.valueOf(127)) > 0) {
                    return Optional.empty();
                }
                v6 = Cidr.of(a6, new BigInteger(p.len6()).intValue());
            }
            return Optional.of(new SubnetKey(Cidr.of(v4, new BigInteger(p.len4()).intValue()), v6));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Reads through to a string and remembers the highest index anybody asked for. */
    static final class ReadRecorder implements CharSequence {
        private final String s;
        int highest = -1;

        ReadRecorder(String s) {
            this.s = s;
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public char charAt(int index) {
            highest = Math.max(highest, index);
            return s.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            highest = Math.max(highest, end - 1);
            return s.subSequence(start, end);
        }

        @Override
        public String toString() {
            highest = Math.max(highest, s.length() - 1);
            return s;
        }
    }

    @Test
    void hugeKeysAreNeverReadBeyondTheCap() {
        // "…/subnets/1." + digits made the old regex backtrack for seconds at 1,600 digits.
        String[] huge = {
            "/coreos.com/network/subnets/1." + "1".repeat(1_600),
            "1." + "9".repeat(100_000),
            "10.5.1.0-" + "0".repeat(100_000) + "24",
            "1.1.1." + "1.".repeat(50_000) + "1-24",
            "10.5.1.0-24&" + ":".repeat(100_000) + "-64",
        };
        for (String key : huge) {
            ReadRecorder r = new ReadRecorder(key);
            assertEquals(Optional.empty(), SubnetKey.parse(r), key.substring(0, 20));
            assertTrue(r.highest < SubnetKey.MAX_LENGTH, "read index " + r.highest);
        }
        // at the cap itself everything is read, nothing past it
        String atCap = "x".repeat(SubnetKey.MAX_LENGTH - 11) + "10.5.1.0-24";
        ReadRecorder r = new ReadRecorder(atCap);
        assertEquals("10.5.1.0-24", SubnetKey.parse(r).orElseThrow().toString());
        assertTrue(r.highest < SubnetKey.MAX_LENGTH);
        assertTrue(SubnetKey.parse("x" + atCap).isEmpty());
    }

    @Test
    void tenThousandRandomKeysMatchTheOldPatternExactly() {
        SplittableRandom rnd = new SplittableRandom(20261206);
        String[] seeds = {"10.244.1.0-24", "10.12.13.0-24&fd00:12:13::-56", "1.2.3.4-5&6-7", "1.23456-7&8-9",
            "/coreos.com/network/subnets/10.5.1.0-024", "0.0.0.0-0", "255.255.255.255-31&ffff::-127"};
        String alphabet = "0123456789.-&:afx/ \n\r\u2028\u0085";
        int matched = 0;
        int parsed = 0;
        for (int i = 0; i < 10_000; i++) {
            String key;
            if (i % 2 == 0) {
                StringBuilder sb = new StringBuilder();
                int len = rnd.nextInt(40);
                for (int j = 0; j < len; j++) {
                    // digits, dots and dashes dominate, so near-misses of the pattern are common
                    sb.append(rnd.nextInt(3) == 0 ? alphabet.charAt(rnd.nextInt(alphabet.length())) : "0123456789..-&"
                            .charAt(rnd.nextInt(14)));
                }
                key = sb.toString();
            } else {
                StringBuilder sb = new StringBuilder(seeds[rnd.nextInt(seeds.length)]);
                for (int m = rnd.nextInt(4); m >= 0; m--) {
                    int at = rnd.nextInt(sb.length() + 1);
                    switch (rnd.nextInt(3)) {
                        case 0 -> sb.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                        case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                        default -> { if (at < sb.length()) sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length()))); }
                    }
                }
                key = sb.toString();
            }
            SubnetKeySyntax.Parts want = oracle(key);
            assertEquals(want, SubnetKeySyntax.scan(key), key);
            matched += want == null ? 0 : 1;
            Optional<SubnetKey> got = SubnetKey.parse(key);
            assertEquals(oldParse(key), got, key);
            parsed += got.isPresent() ? 1 : 0;
        }
        // the generator must actually reach the interesting cases
        assertTrue(matched > 1_500, "pattern matches: " + matched);
        assertTrue(parsed > 500, "valid keys: " + parsed);
    }
}
