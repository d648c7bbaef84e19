package dev.weft.cni.masq;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A nat rule reduced to the parts the masquerade uses, so that a rule read back from
 * {@code iptables-save} compares equal to the one we would append exactly when {@code iptables -C}
 * would say it exists: addresses are compared as blocks (the kernel masks {@code 10.1.0.5/24} to
 * {@code 10.1.0.0/24}), and anything else on the line lands in {@code other} and makes it differ.
 *
 * @param chain              the chain the rule is in
 * @param source             {@code -s}, masked; null when absent
 * @param destination        {@code -d}, masked; null when absent
 * @param destinationNegated {@code ! -d}
 * @param comment            the {@code -m comment --comment} text; null when absent
 * @param target             {@code -j}
 * @param other              every other option, in order; empty for our own rules
 */
record IptablesRule(String chain, Cidr source, Cidr destination, boolean destinationNegated, String comment,
                    String target, List<String> other) {

    IptablesRule {
        Objects.requireNonNull(chain, "chain");
        source = source == null ? null : source.network();
        destination = destination == null ? null : destination.network();
        other = List.copyOf(other);
    }

    /** {@code -A <chain> -d <pod subnet> -j ACCEPT}: traffic inside the pod's subnet keeps its source. */
    static IptablesRule acceptSubnet(String chain, Cidr podAddress, String comment) {
        return new IptablesRule(chain, null, podAddress, false, comment, "ACCEPT", List.of());
    }

    /** {@code -A <chain> ! -d <multicast> -j MASQUERADE}. */
    static IptablesRule masquerade(String chain, IptablesFamily family, String comment) {
        return new IptablesRule(chain, null, family.multicast(), true, comment, "MASQUERADE", List.of());
    }

    /** {@code -A POSTROUTING -s <pod ip> -j <chain>}. */
    static IptablesRule jump(String chain, Cidr podAddress, String comment) {
        return new IptablesRule("POSTROUTING", Cidr.ofHost(podAddress.address()), null, false, comment, chain,
                List.of());
    }

    /**
     * The rule as an {@code iptables-restore} line, options in the order the reference passes
     * them to {@code iptables -A}.
     */
    String toAppendLine() {
        if (!other.isEmpty()) {
            throw new IllegalStateException("only our own rules are rendered: " + this);
        }
        StringBuilder sb = new StringBuilder("-A ").append(chain);
        if (source != null) {
            sb.append(" -s ").append(addressText(source));
        }
        if (destination != null) {
            sb.append(destinationNegated ? " ! -d " : " -d ").append(addressText(destination));
        }
        sb.append(" -j ").append(target);
        if (comment != null) {
            sb.append(" -m comment --comment ").append(restoreQuote(comment));
        }
        return sb.toString();
    }

    private static String addressText(Cidr c) {
        IpAddress a = c.address();
        return c.prefixLength() == a.bitLength() ? a.toString() : c.toString();
    }

    /** iptables-restore reads backslash escapes inside double quotes; that is how -save writes them. */
    static String restoreQuote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    /**
     * Parses the tokens after {@code -A} of an {@code iptables-save} line. Lines the masquerade never
     * writes still parse (their extra options go to {@code other}); null only for a line that is not
     * an append at all.
     */
    static IptablesRule parse(List<String> tokens) {
        if (tokens.size() < 2 || !tokens.get(0).equals("-A")) {
            return null;
        }
        String chain = tokens.get(1);
        Cidr source = null;
        Cidr destination = null;
        boolean destNegated = false;
        String comment = null;
        String target = null;
        List<String> other = new ArrayList<>();
        boolean negate = false;
        for (int i = 2; i < tokens.size(); i++) {
            String t = tokens.get(i);
            String next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
            if (t.equals("!")) {
                negate = true;
                continue;
            }
            if (t.equals("-s") && next != null && !negate && source == null && parseAddress(next) != null) {
                source = parseAddress(next);
                i++;
            } else if (t.equals("-d") && next != null && destination == null && parseAddress(next) != null) {
                destination = parseAddress(next);
                destNegated = negate;
                i++;
            } else if (t.equals("-m") && "comment".equals(next) && !negate) {
                i++;
            } else if (t.equals("--comment") && next != null && !negate && comment == null) {
                comment = next;
                i++;
            } else if (t.equals("-j") && next != null && !negate && target == null) {
                target = next;
                i++;
            } else {
                if (negate) {
                    other.add("!");
                }
                other.add(t);
            }
            negate = false;
        }
        return new IptablesRule(chain, source, destination, destNegated, comment, target == null ? "" : target,
                other);
    }

    private static Cidr parseAddress(String s) {
        try {
            return s.indexOf('/') >= 0 ? Cidr.parse(s) : Cidr.ofHost(IpAddress.parse(s));
        } catch (IllegalArgumentException e) {
            return null;   // a netmask form or a hostname: not one of ours
        }
    }

    /**
     * Splits a save/restore line as iptables-restore does: whitespace separates, double quotes
     * group, and inside quotes a backslash takes the next character literally.
     */
    static List<String> tokenize(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuote = false;
        boolean have = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inQuote) {
                if (c == '\\' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else if (c == '"') {
                    inQuote = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                inQuote = true;
                have = true;
            } else if (c == ' ' || c == '\t') {
                if (have) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    have = false;
                }
            } else {
                cur.append(c);
                have = true;
            }
        }
        if (have) {
            out.add(cur.toString());
        }
        return out;
    }
}
