package dev.weft.cni.thick;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The shim's codec, java.base only, read back by Jackson (as weftd reads it) and fed what weftd and older weftds answer. */
class ThickWireTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRequestIsJsonThatJacksonReadsBackExactly() throws Exception {
        Map<String, String> env = new TreeMap<>(Map.of("CNI_COMMAND", "ADD", "CNI_ARGS", "K8S_POD_NAME=a\"b\\c;X=\u0001"));
        byte[] stdin = "{\"cniVersion\":\"1.1.0\",\"x\":\"\u00e9\"}\n\u0000".getBytes(StandardCharsets.UTF_8);
        JsonNode o = JSON.readTree(ThickWire.encode(new ThickWire.Request(1, "weft-routed", "4:4026531840", "", env, stdin)));
        assertEquals("cni", o.get("op").asText());
        assertEquals(1, o.get("v").asInt());
        assertEquals("4:4026531840", o.get("callerNetns").asText());
        assertEquals("K8S_POD_NAME=a\"b\\c;X=\u0001", o.get("env").get("CNI_ARGS").asText());
        assertArrayEquals(stdin, Base64.getDecoder().decode(o.get("stdin").asText()), "stdin's bytes, whatever they are");
    }

    @Test
    void answersServedAndDeclinedAndWhatAnOlderWeftdSays() {
        byte[] out = "{\"cniVersion\":\"1.0.0\"}\n".getBytes(StandardCharsets.UTF_8);
        ThickWire.Answer served = ThickWire.decodeAnswer(ThickWire.encode(ThickWire.Answer.served(7, out, "why\n".getBytes(StandardCharsets.UTF_8))));
        assertTrue(served.served());
        assertEquals(7, served.exit());
        assertArrayEquals(out, served.stdout());
        assertEquals("why\n", new String(served.stderr(), StandardCharsets.UTF_8));

        ThickWire.Answer declined = ThickWire.decodeAnswer(ThickWire.encode(ThickWire.Answer.declined("IPAM \"x\" is not run\n in weftd")));
        assertFalse(declined.served());
        assertEquals("IPAM \"x\" is not run\n in weftd", declined.decline());

        // an older weftd: block IPAM's error for an op it does not know
        ThickWire.Answer old = ThickWire.decodeAnswer("{\"error\":{\"code\":7,\"msg\":\"unknown op \\\"cni\\\" (known: [a, b])\"}}"
                .getBytes(StandardCharsets.UTF_8));
        assertFalse(old.served());
        assertTrue(old.decline().contains("unknown op"), old.decline());

        for (String bad : new String[] {"", "{", "[1]", "{\"exit\":\"x\",\"stdout\":\"\"}", "{\"exit\":0,\"stdout\":\"%%\"}", "{\"a\":1 2}"}) {
            assertFalse(ThickWire.decodeAnswer(bad.getBytes(StandardCharsets.UTF_8)).served(), bad);
        }
    }

    @Test
    void aRequestThatBrokeOffInsideWeftdIsServedAsCode11NeverDeclined() throws Exception {
        ThickWire.Answer a = ThickWire.decodeAnswer(ThickWire.encode(
                ThickService.failedMidway(new IllegalStateException("netlink said \"no\""))));
        assertTrue(a.served(), "a decline would make the shim run the request a second time");
        assertEquals(1, a.exit());
        JsonNode err = JSON.readTree(a.stdout());
        assertEquals(11, err.get("code").asInt());
        assertTrue(err.get("msg").asText().contains("netlink said \"no\""), err.toString());
    }

    @Test
    void theShimFindsTheSocketItsWeftIpamNamesAndNothingForOtherIpam() {
        assertEquals(Path.of("/tmp/x.sock"), Shim.socket(conf("{\"type\":\"weft-ipam\",\"socket\":\"/tmp/x.sock\"}")));
        assertEquals(Path.of(Shim.DEFAULT_SOCKET), Shim.socket(conf("{\"families\":[\"ipv4\"],\"type\":\"weft-ipam\"}")));
        assertNull(Shim.socket(conf("{\"type\":\"weft-host-local\",\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]}")));
        assertNull(Shim.socket("{\"cniVersion\":\"1.1.0\"}".getBytes(StandardCharsets.UTF_8)));
        assertNull(Shim.socket("not json".getBytes(StandardCharsets.UTF_8)));
        // a prevResult and other nested values before the ipam object are skipped over
        assertEquals(Path.of("/run/w \"q\".sock"), Shim.socket(("{\"prevResult\":{\"ips\":[{\"address\":\"10.0.0.2/32\"}],\"x\":\"}\"},"
                + "\"n\":null,\"b\":true,\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"/run/w \\\"q\\\".sock\"}}").getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] conf(String ipam) {
        return ("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"weft-routed\",\"ipam\":" + ipam + "}").getBytes(StandardCharsets.UTF_8);
    }
}
