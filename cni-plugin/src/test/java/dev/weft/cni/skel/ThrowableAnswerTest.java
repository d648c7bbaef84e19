package dev.weft.cni.skel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cni.spec.Result;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Whatever a plugin throws, the runner prints a CNI error object on stdout and returns non-zero:
 * also for the JVM's Errors (out of memory, stack overflow, a native library that did not load).
 */
class ThrowableAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A plugin whose ADD throws what it is given. */
    private record Throwing(Supplier<Throwable> what) implements CniPlugin {
        @Override
        public String name() {
            return "wt-throwing";
        }

        @Override
        public Result add(Request r) {
            Throwable t = what.get();
            if (t instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) t;
        }

        @Override
        public void del(Request r) {
        }

        @Override
        public void check(Request r) {
        }

        @Override
        public Set<String> knownArgs() {
            return Set.of();
        }
    }

    private static JsonNode run(Supplier<Throwable> what) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/proc/self/ns/net",
                "CNI_IFNAME", "eth0", "CNI_PATH", "/nonexistent", "CNI_NETNS_OVERRIDE", "1");
        byte[] stdin = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"wt-throwing\"}".getBytes(StandardCharsets.UTF_8);
        int rc = PluginRunner.run(new Throwing(what), env, stdin, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertTrue(rc != 0, "non-zero exit");
        JsonNode o = JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals("1.0.0", o.path("cniVersion").asText(), o.toString());
        assertTrue(o.path("code").asInt() > 0, o.toString());
        assertTrue(!o.path("msg").asText().isEmpty(), o.toString());
        return o;
    }

    @Test
    void outOfMemory() throws IOException {
        JsonNode o = run(() -> new OutOfMemoryError("Java heap space"));
        assertEquals(999, o.path("code").asInt(), o.toString());
        assertTrue(o.toString().contains("OutOfMemoryError"), o.toString());
    }

    @Test
    void stackOverflow() throws IOException {
        assertEquals(999, run(StackOverflowError::new).path("code").asInt());
    }

    @Test
    void nativeLibraryNotLoaded() throws IOException {
        JsonNode o = run(() -> new NoClassDefFoundError("Could not initialize class dev.weft.libc.JffiLibC"));
        assertTrue(o.toString().contains("JffiLibC"), o.toString());
        run(() -> new UnsatisfiedLinkError("libjffi-1.2.so: invalid ELF header"));
    }

    @Test
    void runtimeExceptionStillCode999() throws IOException {
        assertEquals(999, run(() -> new IllegalStateException("boom")).path("code").asInt());
    }
}
