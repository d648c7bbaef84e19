package dev.weft.flannel.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class GoJsonWriterTest {

    @Test
    void escapesLikeGoJsonMarshal() throws Exception {
        // Go: json.Marshal("a<b>&c\"\\\n\t\u0001\u2028") == "a\u003cb\u003e\u0026c\"\\\n\t\u0001\u2028" (escaped)
        StringBuilder sb = new StringBuilder();
        GoJsonWriter.writeString(sb, "a<b>&c\"\\\n\t\u0001\u2028\b\f\r é");
        assertEquals("\"a\\u003cb\\u003e\\u0026c\\\"\\\\\\n\\t\\u0001\\u2028\\b\\f\\r é\"", sb.toString());
    }

    @Test
    void compactsObjectsKeepingOrder() throws Exception {
        var node = GoObject.MAPPER.readTree("{ \"VNI\" : 1 ,\n \"VtepMAC\": \"c6:d2:32:6f:8f:44\", \"x\": [1, 2.50, true, null] }");
        assertEquals("{\"VNI\":1,\"VtepMAC\":\"c6:d2:32:6f:8f:44\",\"x\":[1,2.50,true,null]}", GoJsonWriter.toJson(node));
    }

    @Test
    void goObjectMatchesKeysIgnoringCaseLastWins() throws Exception {
        GoObject o = GoObject.parse("{\"a\":1,\"A\":2,\"b\":null}");
        assertEquals(2, o.get("a").asInt());
        assertNull(o.get("b"));
        assertNull(o.get("c"));
    }
}
