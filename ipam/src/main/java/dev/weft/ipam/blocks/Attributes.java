package dev.weft.ipam.blocks;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the caller records with an allocation (Calico's {@code secondary} attributes): the pod and
 * namespace, and what CNI GC needs to match {@code cni.dev/valid-attachments} (container id, ifname).
 * The allocator adds {@code node} itself. Bounded: at most {@link #MAX_CHARS} characters in all.
 */
public record Attributes(Map<String, String> values) {
    public static final String NODE = "node";
    public static final String POD = "pod";
    public static final String NAMESPACE = "namespace";
    public static final String CONTAINER_ID = "containerID";
    public static final String IFNAME = "ifname";
    /** Keys and values together; keeps every block's size proportional to its addresses. */
    public static final int MAX_CHARS = 1024;

    public Attributes {
        TreeMap<String, String> m = new TreeMap<>(values);
        int total = 0;
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("attribute " + e.getKey() + " has no value");
            }
            total += e.getKey().length() + e.getValue().length();
        }
        if (total > MAX_CHARS) {
            throw new IllegalArgumentException("attributes are longer than " + MAX_CHARS + " characters in all");
        }
        values = Collections.unmodifiableMap(m);
    }

    public static Attributes none() {
        return new Attributes(Map.of());
    }

    /** A CNI attachment: container id and interface, plus pod and namespace when Kubernetes gave them. */
    public static Attributes of(String containerId, String ifname, String namespace, String pod) {
        TreeMap<String, String> m = new TreeMap<>();
        m.put(CONTAINER_ID, containerId);
        m.put(IFNAME, ifname);
        if (namespace != null) {
            m.put(NAMESPACE, namespace);
        }
        if (pod != null) {
            m.put(POD, pod);
        }
        return new Attributes(m);
    }

    /** These attributes with {@code node} set, as stored. */
    Map<String, String> forNode(String node) {
        TreeMap<String, String> m = new TreeMap<>(values);
        m.put(NODE, node);
        return m;
    }
}
