package dev.weft.cni.routed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written SHA-1 against FIPS 180's examples and the JDK's, across every padding case. */
class Sha1Test {
    @Test
    void knownAnswersAndTheJdkAgree() throws Exception {
        assertEquals("a9993e364706816aba3e25717850c26c9cd0d89d",
                HexFormat.of().formatHex(Sha1.digest("abc".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("84983e441c3bd26ebaae4aa1f95129e5e54670f1", HexFormat.of().formatHex(
                Sha1.digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII))));
        Random rnd = new Random(15);
        for (int len = 0; len <= 300; len++) {
            byte[] m = new byte[len];
            rnd.nextBytes(m);
            assertArrayEquals(MessageDigest.getInstance("SHA-1").digest(m), Sha1.digest(m), "length " + len);
        }
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest("default.web".getBytes(StandardCharsets.UTF_8))),
                HostVethName.sha1Hex("default.web"));
    }
}
