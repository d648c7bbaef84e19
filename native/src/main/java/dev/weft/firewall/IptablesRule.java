package dev.weft.firewall;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One iptables rule: table, chain and the rulespec after {@code -A <chain>}, as separate arguments.
 * The same type serves rules we write and rules read back from {@code iptables-save}.
 *
 * <p>Rendering ({@link #line}) quotes exactly as {@code iptables-save} does, so a rule written in
 * save order renders to the very line save prints; reading ({@link #tokenize}) splits exactly as
 * {@code iptables-restore} does. {@link #sameRuleAs} compares two rules the way {@code iptables -C}
 * would for the rules Weft writes: options in another order or an address written differently
 * ({@code 10.1.0.5} vs {@code 10.1.0.5/32}, host bits set) make no difference.
 *
 * @param table {@code nat}, {@code filter}, ...
 * @param chain the chain the rule is in
 * @param spec  the match and target arguments, e.g. {@code [-s, 10.244.0.0/16, -j, ACCEPT]}
 */
public record IptablesRule(String table, String chain, List<String> spec) {

    public IptablesRule {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(chain, "chain");
        spec = List.copyOf(spec);
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("empty rulespec");
        }
    }

    public static IptablesRule of(String table, String chain, String... spec) {
        return new IptablesRule(table, chain, List.of(spec));
    }

    /**
     * The rule of one {@code iptables-save} line of {@code table}, {@code -A <chain> ...}, with or
     * without the {@code [packets:bytes]} that {@code -c} puts in front; null for any other line.
     */
    public static IptablesRule parse(String table, String line) {
        String s = line.strip();
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            s = close < 0 ? "" : s.substring(close + 1).strip();
        }
        if (!s.startsWith("-A ")) {
            return null;
        }
        List<String> tokens = tokenize(s);
        if (tokens.size() < 3) {
            return null;
        }
        return new IptablesRule(table, tokens.get(1), tokens.subList(2, tokens.size()));
    }

    /**
     * Splits a line as {@code iptables-restore} does: blanks separate; a double quote opens a quoted
     * part in which a backslash takes the next character literally and the closing quote ends the
     * argument (so {@code ""} is an empty argument); outside quotes a backslash is an ordinary character.
     */
    public static List<String> tokenize(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                    out.add(cur.toString());
                    cur.setLength(0);
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ' ' || c == '\t' || c == '\n') {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }

    /** The chain this rule jumps ({@code -j}) or goes ({@code -g}) to, or a built-in target; null when none. */
    public String target() {
        for (int i = spec.size() - 2; i >= 0; i--) {
            if (isTargetFlag(spec.get(i))) {
                return spec.get(i + 1);
            }
        }
        return null;
    }

    /** The text of its {@code -m comment --comment}, or null. */
    public String comment() {
        int i = spec.indexOf("--comment");
        return i >= 0 && i + 1 < spec.size() ? spec.get(i + 1) : null;
    }

    /**
     * The line {@code iptables-save} prints for this rule when it is written in save order, e.g.
     * {@code -A WEFT-FWD -s 10.244.0.0/16 -m comment --comment "weftd forward" -j ACCEPT}.
     * The same text is valid {@code iptables-restore} input.
     */
    public String saveLine() {
        return line("-A");
    }

    /** This rule as an {@code iptables-restore} line with another operation ({@code -D}, {@code -I}). */
    public String line(String op) {
        StringBuilder b = new StringBuilder(op).append(' ').append(chain);
        for (int i = 0; i < spec.size(); i++) {
            b.append(' ');
            boolean comment = i > 0 && spec.get(i - 1).equals("--comment");
            appendArgument(b, spec.get(i), comment);
        }
        return b.toString();
    }

    /** Arguments for {@code iptables -w -t <table> <op> <chain> <spec...>} (op: -C, -D, -A). */
    public List<String> argv(String iptables, String op) {
        List<String> a = new ArrayList<>(spec.size() + 6);
        a.addAll(List.of(iptables, "-w", "-t", table, op, chain));
        a.addAll(spec);
        return a;
    }

    /** True when {@code iptables -C} would take one for the other (see {@link #canonical}). */
    public boolean sameRuleAs(IptablesRule other) {
        return canonical().equals(other.canonical());
    }

    /**
     * The rule as {@code iptables-save} would print it back: the address, interface and protocol
     * options first (s, d, i, o, p, f) with addresses as masked blocks, then the matches in their
     * order ({@code -m <proto>} made explicit where {@code -p} implies it), then the target and its
     * options. Long option names become short ones. Options it does not know keep their place.
     */
    public IptablesRule canonical() {
        @SuppressWarnings("unchecked")
        List<String>[] header = new List[HEADER.length];
        List<String> matches = new ArrayList<>();
        List<String> target = new ArrayList<>();
        boolean inTarget = false;
        for (int i = 0; i < spec.size(); i++) {
            boolean negated = spec.get(i).equals("!") && i + 1 < spec.size();
            int at = negated ? i + 1 : i;
            int h = headerIndex(spec.get(at));
            if (h >= 0) {
                String value = HEADER[h].equals("-f") || at + 1 >= spec.size() ? null : spec.get(at + 1);
                header[h] = new ArrayList<>(3);
                if (negated) {
                    header[h].add("!");
                }
                header[h].add(HEADER[h]);
                if (value != null) {
                    header[h].add(normalise(h, value));
                }
                i = value == null ? at : at + 1;
                inTarget = false;
                continue;
            }
            String t = spec.get(i);
            if (t.equals("-m") || t.equals("--match")) {
                inTarget = false;
                matches.add("-m");
            } else if (isTargetFlag(t)) {
                inTarget = true;
                target.add(t.equals("--jump") ? "-j" : t.equals("--goto") ? "-g" : t);
            } else {
                (inTarget ? target : matches).add(t);
            }
        }
        List<String> out = new ArrayList<>(spec.size() + 2);
        for (List<String> h : header) {
            if (h != null) {
                out.addAll(h);
            }
        }
        List<String> proto = header[4];
        if (proto != null && proto.size() == 2 && !matches.isEmpty() && !matches.get(0).equals("-m")) {
            out.add("-m");
            out.add(proto.get(1));
        }
        out.addAll(matches);
        out.addAll(target);
        return new IptablesRule(table, chain, out);
    }

    @Override
    public String toString() {
        return "-t " + table + " " + saveLine();
    }

    // ---------------------------------------------------------------- details

    private static final String[] HEADER = {"-s", "-d", "-i", "-o", "-p", "-f"};
    private static final String[][] HEADER_LONG = {
        {"--source", "--src"}, {"--destination", "--dst"}, {"--in-interface"}, {"--out-interface"},
        {"--protocol"}, {"--fragment"}};

    private static int headerIndex(String t) {
        for (int h = 0; h < HEADER.length; h++) {
            if (HEADER[h].equals(t)) {
                return h;
            }
            for (String l : HEADER_LONG[h]) {
                if (l.equals(t)) {
                    return h;
                }
            }
        }
        return -1;
    }

    private static boolean isTargetFlag(String t) {
        return t.equals("-j") || t.equals("-g") || t.equals("--jump") || t.equals("--goto");
    }

    /** Addresses as save prints them (masked block with its length); anything else as given. */
    private static String normalise(int header, String value) {
        if (header > 1) {
            return value;
        }
        try {
            Cidr c = value.indexOf('/') >= 0 ? Cidr.parse(value) : Cidr.ofHost(IpAddress.parse(value));
            return c.network().toString();
        } catch (IllegalArgumentException e) {
            return value;   // a netmask form, a list or a host name: compared as written
        }
    }

    /**
     * As {@code iptables-save}: a comment is left bare only when it is a non-empty run of
     * {@code [A-Za-z0-9_-]} (libxtables' xtables_save_string), otherwise quoted with {@code " \ '}
     * escaped. Other arguments are quoted only when restore would otherwise split or lose them.
     */
    private static void appendArgument(StringBuilder b, String arg, boolean comment) {
        boolean plain = !arg.isEmpty();
        for (int i = 0; i < arg.length() && plain; i++) {
            char c = arg.charAt(i);
            plain = comment
                    ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
                    : c != ' ' && c != '\t' && c != '\n' && c != '"';
        }
        if (plain) {
            b.append(arg);
            return;
        }
        b.append('"');
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (c == '"' || c == '\\' || c == '\'') {
                b.append('\\');
            }
            b.append(c);
        }
        b.append('"');
    }
}
