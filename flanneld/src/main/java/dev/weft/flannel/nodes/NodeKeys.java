package dev.weft.flannel.nodes;

/**
 * Where registrations live: {@code <prefix>/nodes/<name>}. A node name is a DNS subdomain as
 * Kubernetes allows it (1..253 characters of letters, digits, '-' and '.'); keys are checked by
 * length before anything else, and in linear time.
 */
public final class NodeKeys {
    public static final int MAX_NAME = 253;
    private final String dir;

    public NodeKeys(String etcdPrefix) {
        String p = etcdPrefix.endsWith("/") ? etcdPrefix.substring(0, etcdPrefix.length() - 1) : etcdPrefix;
        this.dir = p + "/nodes/";
    }

    /** The prefix every registration key starts with. */
    public String dir() {
        return dir;
    }

    public String key(String name) {
        return dir + checkName(name);
    }

    /** The node name of a registration key, or null when the key is not one. */
    public String nameOf(String key) {
        if (key.length() > dir.length() + MAX_NAME || !key.startsWith(dir)) {
            return null;
        }
        String name = key.substring(dir.length());
        return validName(name) ? name : null;
    }

    /** @throws IllegalArgumentException naming what is wrong with {@code name} */
    public static String checkName(String name) {
        if (name == null || !validName(name)) {
            String shown = name == null ? "null" : "\"" + (name.length() > 60 ? name.substring(0, 57) + "..." : name) + "\"";
            throw new IllegalArgumentException("node name must be 1.." + MAX_NAME
                    + " letters, digits, '-' or '.', got " + shown);
        }
        return name;
    }

    static boolean validName(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
