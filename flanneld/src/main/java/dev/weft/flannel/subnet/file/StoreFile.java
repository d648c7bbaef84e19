package dev.weft.flannel.subnet.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.fs.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads and writes the store file. Writes go to a temp file in the same directory, are synced,
 * then renamed over the old file, so a crash leaves either the old or the new state, never half.
 *
 * <pre>{"revision":7,"entries":[{"key":"/coreos.com/network/subnets/10.5.1.0-24","value":"{...}",
 *   "modRevision":7,"expiresAt":1767225600000}]}</pre>
 */
final class StoreFile {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One stored key. {@code expiresAt} is epoch ms, 0 = no TTL. */
    record Stored(String value, long modRevision, long expiresAt) {
    }

    /** The file's content. */
    record State(long revision, SortedMap<String, Stored> entries) {
    }

    private final Path path;

    StoreFile(Path path) {
        this.path = path;
    }

    State load() {
        if (!Files.exists(path)) {
            return new State(0, new TreeMap<>());
        }
        try {
            JsonNode root = JSON.readTree(path.toFile());
            long revision = root.path("revision").asLong(0);
            SortedMap<String, Stored> entries = new TreeMap<>();
            for (JsonNode e : root.path("entries")) {
                String key = e.path("key").asText(null);
                String value = e.path("value").asText(null);
                if (key == null || value == null) {
                    throw new KvException("subnet store " + path + " has an entry without key or value: " + e);
                }
                entries.put(key, new Stored(value, e.path("modRevision").asLong(0), e.path("expiresAt").asLong(0)));
            }
            return new State(revision, entries);
        } catch (IOException e) {
            throw new KvException("cannot read subnet store " + path + ": " + e.getMessage(), e);
        }
    }

    void save(long revision, Map<String, Stored> entries) {
        ObjectNode root = JSON.createObjectNode();
        root.put("revision", revision);
        ArrayNode arr = root.putArray("entries");
        entries.forEach((k, s) -> arr.addObject()
                .put("key", k).put("value", s.value()).put("modRevision", s.modRevision()).put("expiresAt", s.expiresAt()));
        Path dir = path.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            AtomicFile.write(path, JSON.writeValueAsBytes(root), 0644);
        } catch (IOException e) {
            throw new KvException("cannot write subnet store " + path + ": " + e.getMessage(), e);
        }
    }
}
