package dev.weft.e2e.daemonset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deploy/ manifest as the API server would hold it: its YAML documents, looked up by kind and
 * name. Values are read from here only; the test copies none of them.
 */
final class Manifest {
    /** A manifest is a few KB; anything this large is not one. */
    private static final long MAX_BYTES = 1 << 20;

    private final Path file;
    private final List<JsonNode> docs;

    private Manifest(Path file, List<JsonNode> docs) {
        this.file = file;
        this.docs = docs;
    }

    static Manifest load(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException(file + " is over " + MAX_BYTES + " bytes");
        }
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && d.isObject() && d.has("kind")) {
                    docs.add(d);
                }
            }
        }
        return new Manifest(file, docs);
    }

    JsonNode object(String kind, String name) {
        for (JsonNode d : docs) {
            if (d.path("kind").asText().equals(kind) && (name == null || d.path("metadata").path("name").asText().equals(name))) {
                return d;
            }
        }
        throw new IllegalStateException(file + " has no " + kind + (name == null ? "" : " " + name));
    }

    /** The names of every object of a kind, in file order. */
    List<String> names(String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).map(d -> d.path("metadata").path("name").asText()).toList();
    }

    /** The one DaemonSet's pod template spec. */
    JsonNode podSpec() {
        return object("DaemonSet", null).path("spec").path("template").path("spec");
    }

    /** A ConfigMap's data, or a Secret's data (base64-decoded) and stringData. */
    Map<String, String> data(String kind, String name) {
        JsonNode o = object(kind, name);
        Map<String, String> m = new LinkedHashMap<>();
        o.path("data").fields().forEachRemaining(e -> m.put(e.getKey(), kind.equals("Secret")
                ? new String(Base64.getDecoder().decode(e.getValue().asText()), java.nio.charset.StandardCharsets.UTF_8)
                : e.getValue().asText()));
        o.path("stringData").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    /** What an operator does before applying it: sets one key of a ConfigMap (it must be there). */
    void setConfigMapValue(String name, String key, String value) {
        ObjectNode data = (ObjectNode) object("ConfigMap", name).path("data");
        if (!data.has(key)) {
            throw new IllegalStateException("ConfigMap " + name + " in " + file + " has no key " + key);
        }
        data.put(key, value);
    }
}
