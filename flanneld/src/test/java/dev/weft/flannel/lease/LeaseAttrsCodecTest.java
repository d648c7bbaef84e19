package dev.weft.flannel.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LeaseAttrsCodecTest {
    /** Documentation/reservations.md, as written by flanneld. */
    static final String FLANNEL_EXAMPLE =
            "{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}}";

    static JsonNode json(String s) throws Exception {
        return GoObject.MAPPER.readTree(s);
    }

    @Test
    void ourBytesEqualFlannelsDocumentedExample() throws Exception {
        LeaseAttrs a = LeaseAttrs.of(IpAddress.parse("192.168.64.3"), "vxlan",
                json("{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\"}"));
        assertEquals(FLANNEL_EXAMPLE, a.toJson());
    }

    @Test
    void hostGwAndUdpShapes() {
        assertEquals("{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}",
                LeaseAttrs.of(IpAddress.parse("10.0.0.1"), "host-gw", null).toJson());
        // flannel's udp backend sets no BackendType at all
        assertEquals("{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null}",
                LeaseAttrs.of(IpAddress.parse("10.0.0.1"), "", null).toJson());
    }

    @Test
    void dualStackShape() throws Exception {
        LeaseAttrs a = new LeaseAttrs(IpAddress.parse("10.0.0.1"), IpAddress.parse("fd00:0:0::1"), "vxlan",
                json("{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:01\"}"), json("{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:02\"}"));
        assertEquals("{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":\"fd00::1\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:01\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:02\"}}", a.toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        FLANNEL_EXAMPLE,
        "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}",
        "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null}",
        "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":\"fd00::1\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:01\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"aa:bb:cc:dd:ee:02\"}}"
    })
    void flannelWrittenValuesRoundTripByteForByte(String flannel) throws Exception {
        assertEquals(flannel, LeaseAttrs.fromJson(flannel).toJson());
    }

    @Test
    void parsesFlannelUdpLeaseWithoutBackendType() throws Exception {
        LeaseAttrs a = LeaseAttrs.fromJson("{\"PublicIP\":\"192.168.64.9\",\"PublicIPv6\":null}");
        assertEquals(IpAddress.parse("192.168.64.9"), a.publicIp());
        assertNull(a.publicIpV6());
        assertEquals("", a.backendType());
        assertNull(a.backendData());
    }

    @Test
    void parsingIgnoresKeyCaseAndUnknownKeys() throws Exception {
        LeaseAttrs a = LeaseAttrs.fromJson("{\"publicip\":\"10.1.1.1\",\"BACKENDTYPE\":\"vxlan\","
                + "\"backenddata\":{\"vni\":1,\"vtepmac\":\"c6:d2:32:6f:8f:44\"},\"Extra\":1}");
        assertEquals(IpAddress.parse("10.1.1.1"), a.publicIp());
        assertEquals("vxlan", a.backendType());
        assertEquals(1, a.backendData().get("vni").asInt());
    }

    @Test
    void goEscapingInBackendData() throws Exception {
        LeaseAttrs a = LeaseAttrs.of(IpAddress.parse("10.0.0.1"), "x", json("{\"n\":\"<a&b>\"}"));
        assertEquals("{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null,\"BackendType\":\"x\",\"BackendData\":{\"n\":\"\\u003ca\\u0026b\\u003e\"}}",
                a.toJson());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[]", "\"x\"", "{\"PublicIP\":5}", "{\"PublicIP\":\"300.1.1.1\"}",
        "{\"PublicIP\":\"fd00::1\"}", "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":\"10.0.0.2\"}",
        "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":7}", "{\"PublicIP\":\"10.0.0.1\"} x"})
    void malformedValuesAreFormatErrors(String bad) {
        assertThrows(LeaseFormatException.class, () -> LeaseAttrs.fromJson(bad));
    }

    @Test
    void missingPublicIpDecodesToGoZeroValue() throws Exception {
        assertTrue(LeaseAttrs.fromJson("{}").publicIp().isUnspecified());
    }
}
