package dev.weft.cni.invoke;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Verb;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import dev.weft.cni.spec.ResultJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs another plugin the way a runtime does: found by type on CNI_PATH, given the same
 * environment (with CNI_COMMAND set to the verb) and the complete config on stdin; its stderr goes
 * to ours; its error object becomes a {@link CniError} with the same code.
 */
public final class Delegate {
    private Delegate() {
    }

    /** Finds an executable named {@code type} on CNI_PATH. */
    public static Path find(String type, String cniPath) {
        if (type.contains("/") || type.isEmpty()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid plugin type \"" + type + "\"");
        }
        for (String dir : cniPath.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, type);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new CniError(CniError.INVALID_CONFIG, "failed to find plugin \"" + type + "\" in path [" + cniPath + "]");
    }

    /** Runs ADD and returns the delegate's result (raised to the 1.1 model). */
    public static Result add(String type, Request r, byte[] stdin) {
        JsonNode out = exec(type, Verb.ADD, r, stdin);
        if (out == null) {
            throw new CniError(CniError.DECODE_FAILURE, "plugin " + type + " printed no result");
        }
        return ResultJson.parse(out);
    }

    /** Runs a verb that prints nothing on success (DEL, CHECK, GC, STATUS). */
    public static void run(String type, Verb verb, Request r, byte[] stdin) {
        exec(type, verb, r, stdin);
    }

    private static JsonNode exec(String type, Verb verb, Request r, byte[] stdin) {
        Path bin = find(type, r.cniPath());
        ProcessBuilder pb = new ProcessBuilder(bin.toString());
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(r.env());
        env.put("CNI_COMMAND", verb.name());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        byte[] output;
        int rc;
        try {
            Process p = pb.start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin);
            } catch (IOException e) {
                // The plugin may exit before reading; its exit status says what went wrong.
            }
            output = readAll(p.getInputStream());
            rc = p.waitFor();
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to run plugin " + bin, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CniError(CniError.TRY_AGAIN_LATER, "interrupted while running plugin " + bin);
        }
        String text = new String(output, StandardCharsets.UTF_8).trim();
        if (rc != 0) {
            throw asError(type, rc, text);
        }
        return text.isEmpty() ? null : Json.parse(output, "result of plugin " + type);
    }

    private static CniError asError(String type, int rc, String stdout) {
        try {
            JsonNode e = Json.read(stdout.getBytes(StandardCharsets.UTF_8));
            if (e != null && e.has("code")) {
                return new CniError(e.path("code").asInt(), e.path("msg").asText(), e.path("details").asText(""));
            }
        } catch (IOException ignored) {
            // fall through to the generic message, as libcni does
        }
        return new CniError(CniError.INTERNAL, "netplugin " + type + " failed (exit " + rc + ") but error parsing its diagnostic message",
                stdout);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }
}
