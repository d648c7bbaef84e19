package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which nodes a {@code Peers} entry applies to. Leases carry no labels, so of Calico's selector
 * language this keeps what a node name can answer: {@code all()} (or empty: every node),
 * {@code name == 'node-a'} and {@code name in {'node-a', 'node-b'}}. Parsed by hand in one pass
 * over a bounded string.
 */
record NodeSelector(Set<String> names) {
    static final int MAX_LENGTH = 4096;
    static final NodeSelector ALL = new NodeSelector(null);

    boolean matches(String nodeName) {
        return names == null || names.contains(nodeName);
    }

    static NodeSelector parse(String text, String field) {
        if (text.length() > MAX_LENGTH) {
            throw new BackendException(field + ": longer than " + MAX_LENGTH + " characters");
        }
        String s = text.strip();
        if (s.isEmpty() || s.equals("all()")) {
            return ALL;
        }
        if (!s.startsWith("name")) {
            throw bad(field, text);
        }
        String rest = s.substring(4).strip();
        Set<String> names = new LinkedHashSet<>();
        if (rest.startsWith("==")) {
            String q = rest.substring(2).strip();
            names.add(quoted(q, field, text));
        } else if (rest.startsWith("in")) {
            String body = rest.substring(2).strip();
            if (!body.startsWith("{") || !body.endsWith("}")) {
                throw bad(field, text);
            }
            for (String part : body.substring(1, body.length() - 1).split(",", -1)) {
                names.add(quoted(part.strip(), field, text));
            }
        } else {
            throw bad(field, text);
        }
        return new NodeSelector(Set.copyOf(names));
    }

    private static String quoted(String q, String field, String text) {
        if (q.length() < 3 || (q.charAt(0) != '\'' && q.charAt(0) != '"') || q.charAt(q.length() - 1) != q.charAt(0)) {
            throw bad(field, text);
        }
        String name = q.substring(1, q.length() - 1);
        if (name.indexOf('\'') >= 0 || name.indexOf('"') >= 0) {
            throw bad(field, text);
        }
        return name;
    }

    private static BackendException bad(String field, String text) {
        return new BackendException(field + ": \"" + (text.length() > 60 ? text.substring(0, 57) + "..." : text)
                + "\" is not a selector weftd understands (all(), name == 'n', name in {'a', 'b'})");
    }
}
