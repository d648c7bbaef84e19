package dev.weft.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

    @ParameterizedTest
    @CsvSource({
        "0a:58:0a:f4:01:01, 0a:58:0a:f4:01:01",
        "0A:58:0A:F4:01:01, 0a:58:0a:f4:01:01",
        "0a-58-0a-f4-01-01, 0a:58:0a:f4:01:01",
        "FF-FF-FF-FF-FF-FF, ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:00, 00:00:00:00:00:00",
        "De:aD:bE:eF:00:9a, de:ad:be:ef:00:9a",
    })
    void parsesAndFormats(String input, String canonical) {
        MacAddress m = MacAddress.parse(input);
        assertEquals(canonical, m.toString());
        assertEquals(m, MacAddress.parse(canonical));
        assertEquals(m.hashCode(), MacAddress.parse(canonical).hashCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "0a:58:0a:f4:01", "0a:58:0a:f4:01:01:02", "0a:58:0a:f4:01:1", "a:58:0a:f4:01:01", "0a:58-0a:f4:01:01",
        "0a.58.0a.f4.01.01", "0a580af40101", "0a58.0af4.0101", "0g:58:0a:f4:01:01", " 0a:58:0a:f4:01:01",
        "0a:58:0a:f4:01:01 ", "0a::58:0a:f4:01:01", "0a:58:0a:f4:01:0１", "+a:58:0a:f4:01:01", "0a:58:0a:f4:01:-1",
    })
    void rejects(String input) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(input));
        assertTrue(e.getMessage().contains("\"" + input + "\""), e.getMessage());
    }

    @Test
    void bytesAndLongs() {
        byte[] b = {0x0a, 0x58, 0x0a, (byte) 0xf4, 0x01, 0x01};
        MacAddress m = MacAddress.ofBytes(b);
        b[0] = 0; // not retained
        assertEquals("0a:58:0a:f4:01:01", m.toString());
        assertArrayEquals(new byte[] {0x0a, 0x58, 0x0a, (byte) 0xf4, 0x01, 0x01}, m.toBytes());
        assertEquals(0x0a580af40101L, m.toLong());
        assertEquals(m, MacAddress.ofLong(0x0a580af40101L));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.ofLong(1L << 48));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.ofBytes(new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.ofBytes(new byte[8]));
    }

    @Test
    void bufferIo() {
        MacAddress m = MacAddress.parse("02:42:ac:11:00:02");
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            ByteBuffer buf = ByteBuffer.allocate(8).order(order);
            buf.put((byte) 7);
            m.writeTo(buf);
            assertEquals(7, buf.position());
            assertArrayEquals(new byte[] {7, 0x02, 0x42, (byte) 0xac, 0x11, 0x00, 0x02, 0},
                    buf.array());
            buf.position(1);
            assertEquals(m, MacAddress.readFrom(buf));
        }
        ByteBuffer tiny = ByteBuffer.allocate(5);
        assertThrows(java.nio.BufferOverflowException.class, () -> m.writeTo(tiny));
        assertEquals(0, tiny.position());
        assertThrows(java.nio.BufferUnderflowException.class, () -> MacAddress.readFrom(ByteBuffer.allocate(5)));
    }

    @Test
    void bits() {
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertFalse(MacAddress.parse("01:00:5e:00:00:01").isLocallyAdministered());
        assertTrue(MacAddress.parse("33:33:00:00:00:01").isMulticast());
        assertTrue(MacAddress.parse("33:33:00:00:00:01").isLocallyAdministered());
        assertFalse(MacAddress.parse("0a:58:0a:f4:01:01").isMulticast());
        assertTrue(MacAddress.parse("0a:58:0a:f4:01:01").isLocallyAdministered());
        assertFalse(MacAddress.parse("00:1b:21:aa:bb:cc").isLocallyAdministered());
        assertFalse(MacAddress.parse("fe:ff:ff:ff:ff:ff").isMulticast(), "only the first octet's low bit counts");
        assertTrue(MacAddress.BROADCAST.isBroadcast());
        assertTrue(MacAddress.BROADCAST.isMulticast());
        assertFalse(MacAddress.parse("ff:ff:ff:ff:ff:fe").isBroadcast());
        assertEquals(MacAddress.BROADCAST, MacAddress.parse("ff:ff:ff:ff:ff:ff"));
        assertNotEquals(MacAddress.BROADCAST, MacAddress.parse("ff:ff:ff:ff:ff:fe"));
    }

    @Test
    void randomLocalIsLocalUnicastAndVaries() {
        RandomGenerator rng = new SplittableRandom(77);
        Set<MacAddress> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            MacAddress m = MacAddress.randomLocal(rng);
            assertTrue(m.isLocallyAdministered(), m.toString());
            assertFalse(m.isMulticast(), m.toString());
            assertEquals(0, m.toLong() >>> 48);
            int first = Integer.parseInt(m.toString().substring(0, 2), 16);
            assertEquals(0x02, first & 0x03, m.toString());
            assertEquals(m, MacAddress.parse(m.toString()));
            seen.add(m);
        }
        assertTrue(seen.size() > 1990, "random addresses should rarely collide: " + seen.size());

        // Even a generator that returns all ones must yield a unicast address.
        RandomGenerator ones = () -> -1L;
        MacAddress m = MacAddress.randomLocal(ones);
        assertEquals("fe:ff:ff:ff:ff:ff", m.toString());
        RandomGenerator zeros = () -> 0L;
        assertEquals("02:00:00:00:00:00", MacAddress.randomLocal(zeros).toString());
    }
}
