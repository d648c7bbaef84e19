package dev.weft.bgp.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an {@link AgentConfig} from a file: JSON when the name ends in {@code .json}, YAML
 * otherwise. The file is bounded ({@value #MAX_BYTES} bytes) before parsing; unknown and duplicate
 * keys are errors naming the key, and every value is checked by the records.
 */
public final class ConfigFile {
    public static final int MAX_BYTES = 1 << 20;

    private ConfigFile() {
    }

    public static AgentConfig read(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_BYTES) {
            throw new ConfigException(file + ": larger than " + MAX_BYTES + " bytes");
        }
        return parse(bytes, file.getFileName().toString().endsWith(".json"), file.toString());
    }

    /** Parses JSON ({@code json}) or YAML; {@code name} prefixes error messages. */
    public static AgentConfig parse(byte[] bytes, boolean json, String name) {
        if (bytes.length > MAX_BYTES) {
            throw new ConfigException(name + ": larger than " + MAX_BYTES + " bytes");
        }
        JsonFactory factory = json ? new JsonFactory() : new YAMLFactory();
        factory.setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
        ObjectMapper mapper = new ObjectMapper(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        try {
            AgentConfig c = mapper.readValue(bytes, AgentConfig.class);
            if (c == null) {
                throw new ConfigException(name + ": empty");
            }
            return c;
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(name + ": unknown key \"" + path(e) + "\"" + known(e), e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException ce) {
                throw new ConfigException(name + ": " + ce.getMessage(), ce);
            }
            throw new ConfigException(name + ": " + e.getOriginalMessage(), e);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof ConfigException ce) {
                throw new ConfigException(name + ": " + ce.getMessage(), ce);
            }
            throw new ConfigException(name + ": " + path(e) + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(name + ": " + e.getOriginalMessage() + locationOf(e), e);
        } catch (IOException e) {
            throw new ConfigException(name + ": " + e.getMessage(), e);
        }
    }

    /** {@code peers[1].hold} style, from Jackson's reference chain. */
    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String known(UnrecognizedPropertyException e) {
        return e.getKnownPropertyIds() == null ? "" : " (known here: " + e.getKnownPropertyIds() + ")";
    }

    private static String locationOf(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }
}
