package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.ipam.blocks.Problem;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * This node's pods as its container runtime recorded them: libcni's result cache
 * ({@code /var/lib/cni/results/<network>-<containerID>-<ifname>}, JSON
 * {@code {"kind":"cniCacheV1","containerId","config":<base64 conflist>,"ifName","networkName","cniArgs","result"}}),
 * which libcni writes after every successful ADD and removes on DEL, and from which it derives the
 * attachments it keeps or garbage-collects. Only attachments whose config uses {@code weft-ipam}
 * count; a file that cannot be read is reported, since the node's pods are then not known for sure.
 * Bounded: at most {@link #MAX_FILES} files of {@link #MAX_BYTES} each.
 */
final class CniCache {
    static final String DEFAULT_DIR = "/var/lib/cni/results";
    static final int MAX_FILES = 65_536;
    static final int MAX_BYTES = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One attachment of a pod, with the addresses its cached ADD result gave it. */
    record Pod(Path file, String network, String containerId, String ifName, String namespace, String name, Set<IpAddress> ips) {
        /** weft-ipam's handle: {@code <network>.<containerID>}. */
        String handle() {
            return network + "." + containerId;
        }

        String describe() {
            return (name == null ? "container " + containerId : "pod " + (namespace == null ? "" : namespace + "/") + name
                    + " (container " + containerId + ")") + ", interface " + ifName;
        }
    }

    /**
     * @param exists     whether the cache directory exists at all
     * @param unreadable files that could not be read, one problem each
     */
    record Pods(Path dir, boolean exists, List<Pod> pods, List<Problem> unreadable) {
        /** Handle → the addresses its attachments recorded. */
        Map<String, Set<IpAddress>> byHandle() {
            Map<String, Set<IpAddress>> out = new TreeMap<>();
            for (Pod p : pods) {
                out.computeIfAbsent(p.handle(), k -> new TreeSet<>()).addAll(p.ips());
            }
            return out;
        }

        Pod byHandle(String handle) {
            return pods.stream().filter(p -> p.handle().equals(handle)).findFirst().orElse(null);
        }

        /** Every pod of the node is known: the directory exists and every file in it was read. */
        boolean complete() {
            return exists && unreadable.isEmpty();
        }
    }

    private CniCache() {
    }

    static Pods read(Path dir) throws IOException {
        List<Pod> pods = new ArrayList<>();
        List<Problem> unreadable = new ArrayList<>();
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (++n > MAX_FILES) {
                    throw new IOException(dir + " holds more than " + MAX_FILES + " files; not a CNI result cache");
                }
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    Pod p = parse(f, readBounded(f));
                    if (p != null) {
                        pods.add(p);
                    }
                } catch (IOException | IllegalArgumentException e) {
                    unreadable.add(new Problem(Problem.Kind.UNREADABLE_POD_RECORD, f.toString(), e.getMessage()));
                }
            }
        } catch (NoSuchFileException e) {
            return new Pods(dir, false, List.of(), List.of());
        }
        pods.sort((a, b) -> a.file().compareTo(b.file()));
        return new Pods(dir, true, Collections.unmodifiableList(pods), List.copyOf(unreadable));
    }

    private static byte[] readBounded(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(MAX_BYTES + 1);
            if (b.length > MAX_BYTES) {
                throw new IOException("longer than " + MAX_BYTES + " bytes");
            }
            return b;
        }
    }

    /** One cache file; null when its network does not use weft-ipam. Anything unexpected is an IllegalArgumentException. */
    static Pod parse(Path file, byte[] bytes) throws IOException {
        JsonNode o = JSON.readTree(bytes);
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!"cniCacheV1".equals(o.path("kind").asText())) {
            throw new IllegalArgumentException("kind is " + o.path("kind") + ", not \"cniCacheV1\"");
        }
        String network = required(o, "networkName");
        String containerId = required(o, "containerId");
        String ifName = required(o, "ifName");
        JsonNode config;
        try {
            config = JSON.readTree(Base64.getDecoder().decode(required(o, "config")));
        } catch (IllegalArgumentException | IOException e) {
            throw new IllegalArgumentException("config is not base64-encoded JSON: " + e.getMessage());
        }
        if (!usesWeftIpam(config)) {
            return null;
        }
        String namespace = null;
        String name = null;
        for (JsonNode kv : o.path("cniArgs")) {
            if (kv.size() == 2 && kv.get(0).asText().equals("K8S_POD_NAMESPACE")) {
                namespace = kv.get(1).asText();
            } else if (kv.size() == 2 && kv.get(0).asText().equals("K8S_POD_NAME")) {
                name = kv.get(1).asText();
            }
        }
        Set<IpAddress> ips = new TreeSet<>();
        for (JsonNode ip : o.path("result").path("ips")) {
            ips.add(Cidr.parse(ip.path("address").asText()).address());
        }
        return new Pod(file, network, containerId, ifName, namespace, name, ips);
    }

    /** A single plugin config or a conflist whose (or one of whose plugins') ipam type is weft-ipam. */
    static boolean usesWeftIpam(JsonNode config) {
        if ("weft-ipam".equals(config.path("ipam").path("type").asText())) {
            return true;
        }
        for (JsonNode p : config.path("plugins")) {
            if ("weft-ipam".equals(p.path("ipam").path("type").asText())) {
                return true;
            }
        }
        return false;
    }

    private static String required(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new IllegalArgumentException(field + " is missing or not a string");
        }
        return v.asText();
    }
}
