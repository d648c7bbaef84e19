package dev.weft.flannel.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.net.Cidr;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LeaseValidatorTest {
    static final NetworkConfig CONFIG = NetworkConfig.parse(
            "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/48\"}");
    static final String GOOD = "{\"PublicIP\":\"192.168.1.2\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
            + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}";

    static String withIp(String ip) {
        return GOOD.replace("192.168.1.2", ip);
    }

    static String withMac(String mac) {
        return GOOD.replace("c6:d2:32:6f:8f:44", mac);
    }

    static Stream<Arguments> hostile() {
        return Stream.of(
                Arguments.of("not-a-subnet", GOOD, Reason.MALFORMED_KEY),
                Arguments.of("10.5.1.0-024", GOOD, Reason.MALFORMED_KEY),
                Arguments.of("10.5.1.7-24", GOOD, Reason.MALFORMED_KEY),
                Arguments.of("10.5.1.0-24", "{garbage", Reason.MALFORMED_VALUE),
                Arguments.of("10.5.1.0-24", "[]", Reason.MALFORMED_VALUE),
                Arguments.of("10.6.1.0-24", GOOD, Reason.SUBNET_OUTSIDE_NETWORK),
                Arguments.of("10.5.1.0-25", GOOD, Reason.WRONG_SUBNET_LENGTH),
                Arguments.of("10.0.0.0-8", GOOD, Reason.WRONG_SUBNET_LENGTH),
                Arguments.of("10.5.1.0-24&fd01::-64", GOOD, Reason.SUBNET_OUTSIDE_NETWORK),
                Arguments.of("10.5.1.0-24&fd00:5::-56", GOOD, Reason.WRONG_SUBNET_LENGTH),
                Arguments.of("10.5.1.0-24", withIp("0.0.0.0"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("224.0.0.1"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("255.255.255.255"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("127.0.0.1"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("169.254.1.1"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("0.1.2.3"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withIp("240.0.0.1"), Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", "{\"PublicIP\":\"10.1.1.1\",\"PublicIPv6\":\"ff02::1\"}", Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", "{}", Reason.BAD_PUBLIC_IP),
                Arguments.of("10.5.1.0-24", withMac("zz:d2:32:6f:8f:44"), Reason.BAD_BACKEND_DATA),
                Arguments.of("10.5.1.0-24", withMac("01:00:5e:00:00:01"), Reason.BAD_BACKEND_DATA),
                Arguments.of("10.5.1.0-24", withMac("00:00:00:00:00:00"), Reason.BAD_BACKEND_DATA),
                Arguments.of("10.5.1.0-24", "{\"PublicIP\":\"10.1.1.1\",\"BackendType\":\"vxlan\"}", Reason.BAD_BACKEND_DATA),
                Arguments.of("10.5.1.0-24", "{\"PublicIP\":\"10.1.1.1\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":-1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}",
                        Reason.BAD_BACKEND_DATA),
                Arguments.of("10.5.1.0-24", "{\"PublicIP\":\"10.1.1.1\",\"BackendType\":\"vxlan\",\"BackendData\":[]}", Reason.BAD_BACKEND_DATA));
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileLeasesAreRejectedAndCounted(String key, String value, Reason reason) {
        LeaseValidator v = new LeaseValidator();
        assertTrue(v.validate(CONFIG, key, value, 0, 7).isEmpty());
        assertEquals(1, v.rejections(reason), () -> v.rejections().toString());
        assertEquals(1, v.totalRejections());
        // the same version again is neither logged nor counted twice; a new revision is
        assertTrue(v.validate(CONFIG, key, value, 0, 7).isEmpty());
        assertEquals(1, v.totalRejections());
        assertTrue(v.validate(CONFIG, key, value, 0, 8).isEmpty());
        assertEquals(2, v.totalRejections());
    }

    @Test
    void goodLeasesPass() {
        LeaseValidator v = new LeaseValidator();
        Lease l = v.validate(CONFIG, "10.5.1.0-24", GOOD, 123, 9).orElseThrow();
        assertEquals(Cidr.parse("10.5.1.0/24"), l.subnet());
        assertEquals(123, l.expirationEpochMillis());
        assertEquals(9, l.modRevision());
        assertTrue(v.validate(CONFIG, "10.5.2.0-24&fd00:5:0:2::-64", GOOD, 0, 9).isPresent());
        // udp and host-gw leases have no BackendData to check
        assertTrue(v.validate(CONFIG, "10.5.3.0-24", "{\"PublicIP\":\"10.0.0.3\",\"PublicIPv6\":null}", 0, 1).isPresent());
        assertTrue(v.validate(CONFIG, "10.5.4.0-24", "{\"PublicIP\":\"10.0.0.4\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}", 0, 1).isPresent());
        assertEquals(0, v.totalRejections());
    }

    @Test
    void backendsCanRegisterTheirOwnCheck() {
        LeaseValidator v = new LeaseValidator();
        v.register("host-gw", (data, v6) -> Optional.of("no thanks"));
        assertTrue(v.validate(CONFIG, "10.5.4.0-24", "{\"PublicIP\":\"10.0.0.4\",\"BackendType\":\"host-gw\"}", 0, 1).isEmpty());
        assertEquals(1, v.rejections(Reason.BAD_BACKEND_DATA));
    }

    @Test
    void oversizedKeysAndValuesAreMalformedBeforeAnyParsing() {
        LeaseValidator v = new LeaseValidator();
        String hugeKey = "10.5.1.0-" + "0".repeat(100_000) + "24";
        assertTrue(v.validate(CONFIG, hugeKey, GOOD, 0, 1).isEmpty());
        assertEquals(1, v.rejections(Reason.MALFORMED_KEY));
        String padded = GOOD.replace("{\"PublicIP\"", "{\"Pad\":\"" + "x".repeat(LeaseValidator.MAX_VALUE_LENGTH) + "\",\"PublicIP\"");
        assertTrue(v.validate(CONFIG, "10.5.1.0-24", padded, 0, 2).isEmpty());
        assertEquals(1, v.rejections(Reason.MALFORMED_VALUE));
        String longType = "{\"PublicIP\":\"10.0.0.4\",\"BackendType\":\"" + "h".repeat(LeaseValidator.MAX_BACKEND_TYPE_LENGTH + 1) + "\"}";
        assertTrue(v.validate(CONFIG, "10.5.1.0-24", longType, 0, 3).isEmpty());
        assertEquals(2, v.rejections(Reason.MALFORMED_VALUE));
        // what is logged and remembered of a key is bounded, and carries no control characters
        String shown = LeaseValidator.printable(hugeKey + "\n");
        assertTrue(shown.length() < 2 * SubnetKey.MAX_LENGTH, shown);
        assertEquals("10.5.1.0-24?", LeaseValidator.printable("10.5.1.0-24\n"));
    }

    @Test
    void onlyCanonicalKeysOfTheConfiguredShapeOccupySubnets() {
        assertEquals(Optional.of(Cidr.parse("10.5.1.0/24")),
                LeaseValidator.occupiedBy(CONFIG, "10.5.1.0-24").map(SubnetKey::subnet));
        for (String k : new String[] {"0.0.0.0-0", "10.5.0.0-16", "10.5.1.0-25", "10.5.1.0-024", "10.5.1.7-24",
            "10.6.1.0-24", "x10.5.1.0-24", "10.5.1.0-24&fd00:5::-56"}) {
            assertTrue(LeaseValidator.occupiedBy(CONFIG, k).isEmpty(), k);
        }
    }
}
