package dev.weft.cni.thick;

import dev.weft.cni.spec.JsonString;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The "cni" request kind on weftd's CNI socket (beside block IPAM's ops, same length-prefixed JSON
 * frames of at most {@link #MAX_FRAME} bytes): a whole CNI invocation that the thick plugin's shim
 * hands to weftd, and weftd's answer. java.base only: the shim must not load Jackson.
 *
 * <pre>
 * request  {"op":"cni","v":1,"plugin":"weft-routed","callerNetns":"dev:ino","targetNetns":"dev:ino" or "",
 *           "env":{"CNI_COMMAND":"ADD",...},"stdin":"base64"}
 * served   {"v":1,"exit":0,"stdout":"base64","stderr":"base64"}
 * declined {"v":1,"decline":"why"}           (the shim then runs the plugin itself)
 * </pre>
 *
 * An answer without "exit" (a decline, or an older weftd's "unknown op" error) means: not served.
 * A request is the last on its connection: weftd closes it after the answer, and takes a closed
 * connection before the answer as a shim that is gone (it then undoes a successful ADD).
 */
public final class ThickWire {
    /** The request kind's op, beside allocate/release/check/gc/status. */
    public static final String OP = "cni";
    /** Bumped when a field changes meaning; weftd declines a version it does not speak. */
    public static final int VERSION = 1;
    /** The socket's frame limit (the same as {@code IpamFrame.MAX_BYTES}). */
    public static final int MAX_FRAME = 64 * 1024;
    /** The verbs weftd may serve; VERSION and a bare call are answered by the plugin itself. */
    public static final Set<String> VERBS = Set.of("ADD", "DEL", "CHECK", "GC", "STATUS");

    private ThickWire() {
    }

    /** What the shim forwards: the plugin's name, CNI_* env, stdin, and the namespaces as the caller sees them. */
    public record Request(int version, String plugin, String callerNetns, String targetNetns, Map<String, String> env, byte[] stdin) {
    }

    /** weftd's answer: served (exit code and the exact output) or declined (why). */
    public record Answer(boolean served, int exit, byte[] stdout, byte[] stderr, String decline) {
        public static Answer served(int exit, byte[] stdout, byte[] stderr) {
            return new Answer(true, exit, stdout, stderr, null);
        }

        public static Answer declined(String why) {
            return new Answer(false, 0, new byte[0], new byte[0], why);
        }
    }

    /**
     * The plugin's stdout for an invocation that broke off after weftd took it: whether it acted is
     * unknown, so CNI code 11 (try again later), never a decline, which the shim would run again.
     */
    public static byte[] tryAgainLater(String msg) {
        StringBuilder s = new StringBuilder(160).append("{\"cniVersion\":\"1.1.0\",\"code\":11,\"msg\":");
        JsonString.quote(s, msg);
        return s.append("}\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] encode(Request r) {
        StringBuilder s = new StringBuilder(256 + r.stdin().length * 4 / 3);
        s.append("{\"op\":\"").append(OP).append("\",\"v\":").append(r.version()).append(",\"plugin\":");
        JsonString.quote(s, r.plugin());
        s.append(",\"callerNetns\":");
        JsonString.quote(s, r.callerNetns());
        s.append(",\"targetNetns\":");
        JsonString.quote(s, r.targetNetns());
        s.append(",\"env\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : r.env().entrySet()) {
            if (!first) {
                s.append(',');
            }
            first = false;
            JsonString.quote(s, e.getKey());
            s.append(':');
            JsonString.quote(s, e.getValue());
        }
        s.append("},\"stdin\":\"").append(Base64.getEncoder().encodeToString(r.stdin())).append("\"}");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] encode(Answer a) {
        StringBuilder s = new StringBuilder(128);
        s.append("{\"v\":").append(VERSION);
        if (a.served()) {
            s.append(",\"exit\":").append(a.exit())
                    .append(",\"stdout\":\"").append(Base64.getEncoder().encodeToString(a.stdout()))
                    .append("\",\"stderr\":\"").append(Base64.getEncoder().encodeToString(a.stderr())).append('"');
        } else {
            s.append(",\"decline\":");
            JsonString.quote(s, a.decline());
        }
        return s.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The shim's reading of an answer (bounded by the frame limit before this): served only when it
     * has an integer "exit" and base64 "stdout"; anything else, an older weftd's error included, is
     * a decline that names what came back.
     */
    public static Answer decodeAnswer(byte[] payload) {
        Map<String, String> o;
        try {
            o = FlatJson.parse(new String(payload, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return Answer.declined("weftd's answer is not readable: " + e.getMessage());
        }
        String exit = o.get("exit");
        if (exit == null) {
            String why = o.get("decline");
            return Answer.declined(why != null ? why : "weftd does not serve this request kind (" + o.getOrDefault("error", "no reason") + ")");
        }
        try {
            int rc = Integer.parseInt(exit);
            byte[] out = Base64.getDecoder().decode(o.getOrDefault("stdout", ""));
            byte[] err = Base64.getDecoder().decode(o.getOrDefault("stderr", ""));
            return Answer.served(rc, out, err);
        } catch (IllegalArgumentException e) {
            return Answer.declined("weftd's answer is not readable: " + e.getMessage());
        }
    }

    /**
     * A reader for one flat JSON object, enough for weftd's answer without Jackson: string and
     * number values by key; a nested object or array is kept as its raw text. Linear in the input.
     */
    static final class FlatJson {
        private final String s;
        private int i;

        private FlatJson(String s) {
            this.s = s;
        }

        static Map<String, String> parse(String text) {
            FlatJson p = new FlatJson(text);
            Map<String, String> out = new LinkedHashMap<>();
            p.ws();
            p.expect('{');
            p.ws();
            if (p.peek() == '}') {
                return out;
            }
            while (true) {
                p.ws();
                String key = p.string();
                p.ws();
                p.expect(':');
                p.ws();
                out.put(key, p.value());
                p.ws();
                char c = p.next();
                if (c == '}') {
                    return out;
                }
                if (c != ',') {
                    throw new IllegalArgumentException("expected , or } at " + (p.i - 1));
                }
            }
        }

        private String value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            int start = i;
            if (c == '{' || c == '[') {
                skipNested();
                return s.substring(start, i);
            }
            while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            if (start == i) {
                throw new IllegalArgumentException("a value is missing at " + i);
            }
            return s.substring(start, i);
        }

        private void skipNested() {
            int depth = 0;
            do {
                char c = peek();
                if (c == '"') {
                    string();
                    continue;
                }
                i++;
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    depth--;
                }
            } while (depth > 0);
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw new IllegalArgumentException("a \\u escape is cut short");
                        }
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("the answer ends early");
            }
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
            }
        }
    }
}
