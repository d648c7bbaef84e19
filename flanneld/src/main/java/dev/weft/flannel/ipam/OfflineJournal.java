package dev.weft.flannel.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.fs.AtomicFile;
import dev.weft.ipam.blocks.Family;
import dev.weft.net.Cidr;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * weftd's local record of block IPAM (see the package doc): the addresses held in reserve (each
 * allocated in etcd to its own reservation handle) and what was done while etcd was unreachable,
 * in order, to be replayed. Rewritten whole with {@link AtomicFile} after every change, so a crash
 * leaves the previous version or the next one.
 */
final class OfflineJournal {
    /** The journal holds at most a few hundred entries (one per pod started offline). */
    static final int MAX_BYTES = 4 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An address in reserve: allocated in etcd under {@code handle}. */
    record Reserved(String handle, Cidr address) {
        Family family() {
            return Family.of(address);
        }
    }

    /** Something done offline. */
    sealed interface Entry permits Assigned, Released {
    }

    /** The reserved address of {@code reservation} went to the pod handle {@code handle}. */
    record Assigned(String reservation, Cidr address, String handle, String containerId, String ifName, String namespace,
                    String pod) implements Entry {
    }

    /** {@code handle} was released. */
    record Released(String handle) implements Entry {
    }

    private final Path file;
    final List<Reserved> reserved = new ArrayList<>();
    final List<Entry> pending = new ArrayList<>();
    /** Next reservation number, so a reservation handle is never used twice. */
    long next;

    private OfflineJournal(Path file) {
        this.file = file;
    }

    /** The journal at {@code file}, empty if there is none yet. */
    static OfflineJournal load(Path file) throws IOException {
        OfflineJournal j = new OfflineJournal(file);
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            return j;
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException("IPAM journal " + file + " is longer than " + MAX_BYTES + " bytes");
        }
        try {
            JsonNode o = JSON.readTree(bytes);
            j.next = o.path("next").asLong(0);
            for (JsonNode r : o.path("reserved")) {
                j.reserved.add(new Reserved(r.get("handle").asText(), Cidr.parse(r.get("address").asText())));
            }
            for (JsonNode e : o.path("pending")) {
                String op = e.path("op").asText();
                if (op.equals("assign")) {
                    j.pending.add(new Assigned(e.get("reservation").asText(), Cidr.parse(e.get("address").asText()),
                            e.get("handle").asText(), e.get("containerID").asText(), e.get("ifName").asText(),
                            text(e, "namespace"), text(e, "pod")));
                } else if (op.equals("release")) {
                    j.pending.add(new Released(e.get("handle").asText()));
                } else {
                    throw new IOException("unknown op \"" + op + "\"");
                }
            }
        } catch (IOException | RuntimeException e) {
            // Never guessed at: its entries are pods' addresses. An operator must look at it.
            throw new IOException("IPAM journal " + file + " is corrupt (" + e.getMessage() + "); move it away to start"
                    + " without it (addresses it names are then only released by GC)", e);
        }
        return j;
    }

    private static String text(JsonNode o, String field) {
        return o.hasNonNull(field) ? o.get(field).asText() : null;
    }

    void save() throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("next", next);
        ArrayNode r = o.putArray("reserved");
        for (Reserved x : reserved) {
            r.addObject().put("handle", x.handle()).put("address", x.address().toString());
        }
        ArrayNode p = o.putArray("pending");
        for (Entry e : pending) {
            ObjectNode n = p.addObject();
            if (e instanceof Assigned a) {
                n.put("op", "assign").put("reservation", a.reservation()).put("address", a.address().toString())
                        .put("handle", a.handle()).put("containerID", a.containerId()).put("ifName", a.ifName());
                if (a.namespace() != null) {
                    n.put("namespace", a.namespace());
                }
                if (a.pod() != null) {
                    n.put("pod", a.pod());
                }
            } else if (e instanceof Released rel) {
                n.put("op", "release").put("handle", rel.handle());
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        AtomicFile.write(file, o.toString().getBytes(StandardCharsets.UTF_8), 0600);
    }

    /** The reserved addresses of {@code f}. */
    int reservedCount(Family f) {
        int n = 0;
        for (Reserved r : reserved) {
            if (r.family() == f) {
                n++;
            }
        }
        return n;
    }

    /** Pod handles given a reserved address offline and not released since, in journal order. */
    Set<String> pendingPods() {
        Set<String> out = new LinkedHashSet<>();
        for (Entry e : pending) {
            if (e instanceof Assigned a) {
                out.add(a.handle());
            } else if (e instanceof Released r) {
                out.remove(r.handle());
            }
        }
        return out;
    }

    Path file() {
        return file;
    }
}
