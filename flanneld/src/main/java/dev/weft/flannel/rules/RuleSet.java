package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.firewall.IptablesRule;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the node's firewall must hold: flannel's masquerade and forward rules (spec flannel.md §4.3)
 * with Weft's chain names, for IPv4, IPv6 or both.
 *
 * <p>With C = the cluster Network and P = this node's lease subnet, per family:
 * <pre>
 * *nat      (only with ipMasq)
 * -A POSTROUTING -m comment --comment "weftd masq" -j WEFT-POSTRTG
 * -A WEFT-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "weftd masq" -j RETURN
 * -A WEFT-POSTRTG -s P -d C -m comment --comment "weftd masq" -j RETURN
 * -A WEFT-POSTRTG -s C -d P -m comment --comment "weftd masq" -j RETURN
 * -A WEFT-POSTRTG ! -s C -d P -m comment --comment "weftd masq" -j RETURN
 * -A WEFT-POSTRTG -s C ! -d 224.0.0.0/4 -m comment --comment "weftd masq" -j MASQUERADE --random-fully
 * -A WEFT-POSTRTG ! -s C -d C -m comment --comment "weftd masq" -j MASQUERADE --random-fully
 * *filter   (only with forwardRules)
 * -A FORWARD -m comment --comment "weftd forward" -j WEFT-FWD
 * -A WEFT-FWD -s C -m comment --comment "weftd forward" -j ACCEPT
 * -A WEFT-FWD -d C -m comment --comment "weftd forward" -j ACCEPT
 * </pre>
 * IPv6 uses {@code ff00::/8} for multicast. The comments name weftd where flannel's say flanneld, so
 * an operator can tell whose rules these are; the shapes and order are flannel's.
 *
 * @param network4     C for IPv4, or null when IPv4 is off
 * @param subnet4      P for IPv4 (needed with ipMasq), or null
 * @param network6     C for IPv6, or null when IPv6 is off
 * @param subnet6      P for IPv6 (needed with ipMasq), or null
 * @param ipMasq       {@code -ip-masq}: install the masquerade rules
 * @param randomFully  use {@code --random-fully} where the tool supports it
 *                     (false for {@code -ip-masq-fully-random-disable})
 * @param forwardRules {@code -iptables-forward-rules}: install the forward-accept rules
 */
public record RuleSet(Cidr network4, Cidr subnet4, Cidr network6, Cidr subnet6,
                      boolean ipMasq, boolean randomFully, boolean forwardRules) {

    public static final String MASQ_CHAIN = "WEFT-POSTRTG";
    public static final String FORWARD_CHAIN = "WEFT-FWD";
    public static final String MASQ_COMMENT = "weftd masq";
    public static final String FORWARD_COMMENT = "weftd forward";
    /** kube-proxy marks packets it will masquerade itself; skipping them avoids NAT twice. */
    public static final String KUBE_PROXY_MARK = "0x4000/0x4000";

    public RuleSet {
        network4 = block(network4, "network4", true);
        subnet4 = block(subnet4, "subnet4", true);
        network6 = block(network6, "network6", false);
        subnet6 = block(subnet6, "subnet6", false);
        if (network4 == null && network6 == null) {
            throw new IllegalArgumentException("a rule set needs an IPv4 or an IPv6 network");
        }
        if ((network4 == null && subnet4 != null) || (network6 == null && subnet6 != null)) {
            throw new IllegalArgumentException("a subnet is given for a family without a network");
        }
        if (ipMasq && ((network4 != null && subnet4 == null) || (network6 != null && subnet6 == null))) {
            throw new IllegalArgumentException("ip masquerade needs the lease subnet of every enabled family");
        }
    }

    /** Host bits are cleared, as iptables would: rules always name the block. */
    private static Cidr block(Cidr c, String what, boolean v4) {
        if (c == null) {
            return null;
        }
        if (c.isV4() != v4) {
            throw new IllegalArgumentException(what + " must be an IPv" + (v4 ? "4" : "6") + " block: " + c);
        }
        return c.network();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The families with a network, IPv4 first. */
    public List<IpFamily> families() {
        List<IpFamily> l = new ArrayList<>(2);
        if (network4 != null) {
            l.add(IpFamily.IPV4);
        }
        if (network6 != null) {
            l.add(IpFamily.IPV6);
        }
        return l;
    }

    /** The families with a lease subnet: those whose masquerade rules can be named. */
    public List<IpFamily> masqFamilies() {
        return families().stream().filter(f -> subnet(f) != null).toList();
    }

    /** A family's masquerade rules in both --random-fully forms (whichever a previous run used), once each. */
    static <T> Set<T> eitherRandomFully(java.util.function.Function<Boolean, List<T>> rules) {
        Set<T> all = new LinkedHashSet<>(rules.apply(true));
        all.addAll(rules.apply(false));
        return all;
    }

    public boolean has(IpFamily f) {
        return network(f) != null;
    }

    /** C of the family, or null. */
    public Cidr network(IpFamily f) {
        return f == IpFamily.IPV4 ? network4 : network6;
    }

    /** P of the family, or null. */
    public Cidr subnet(IpFamily f) {
        return f == IpFamily.IPV4 ? subnet4 : subnet6;
    }

    public RuleSet withRandomFully(boolean on) {
        return on == randomFully ? this : new RuleSet(network4, subnet4, network6, subnet6, ipMasq, on, forwardRules);
    }

    /** The nat rules of one family, the POSTROUTING jump first; empty without ipMasq or the family. */
    public List<IptablesRule> masqRulesFor(IpFamily f) {
        if (!ipMasq || !has(f)) {
            return List.of();
        }
        return masqRules(f, network(f), subnet(f), randomFully);
    }

    /** The filter rules of one family, the FORWARD jump first; empty without forwardRules or the family. */
    public List<IptablesRule> forwardRulesFor(IpFamily f) {
        if (!forwardRules || !has(f)) {
            return List.of();
        }
        String c = network(f).toString();
        return List.of(
                IptablesRule.of("filter", "FORWARD", "-m", "comment", "--comment", FORWARD_COMMENT, "-j", FORWARD_CHAIN),
                IptablesRule.of("filter", FORWARD_CHAIN, "-s", c, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"),
                IptablesRule.of("filter", FORWARD_CHAIN, "-d", c, "-m", "comment", "--comment", FORWARD_COMMENT, "-j", "ACCEPT"));
    }

    /** Masquerade rules, then forward rules, of one family. */
    public List<IptablesRule> iptablesRulesFor(IpFamily f) {
        List<IptablesRule> l = new ArrayList<>(masqRulesFor(f));
        l.addAll(forwardRulesFor(f));
        return l;
    }

    static List<IptablesRule> masqRules(IpFamily f, Cidr network, Cidr subnet, boolean randomFully) {
        String c = network.toString();
        String p = subnet.toString();
        List<String> comment = List.of("-m", "comment", "--comment", MASQ_COMMENT);
        List<IptablesRule> l = new ArrayList<>(7);
        l.add(rule("POSTROUTING", List.of(), comment, List.of("-j", MASQ_CHAIN)));
        l.add(rule(MASQ_CHAIN, List.of("-m", "mark", "--mark", KUBE_PROXY_MARK), comment, List.of("-j", "RETURN")));
        // no NAT inside the overlay
        l.add(rule(MASQ_CHAIN, List.of("-s", p, "-d", c), comment, List.of("-j", "RETURN")));
        l.add(rule(MASQ_CHAIN, List.of("-s", c, "-d", p), comment, List.of("-j", "RETURN")));
        // traffic from outside for a local pod keeps its source (flannel: "arrives from a Node that owns the pod IP")
        l.add(rule(MASQ_CHAIN, List.of("!", "-s", c, "-d", p), comment, List.of("-j", "RETURN")));
        List<String> masq = randomFully ? List.of("-j", "MASQUERADE", "--random-fully") : List.of("-j", "MASQUERADE");
        l.add(rule(MASQ_CHAIN, List.of("-s", c, "!", "-d", f.multicast().toString()), comment, masq));
        // the host talking to the overlay
        l.add(rule(MASQ_CHAIN, List.of("!", "-s", c, "-d", c), comment, masq));
        return l;
    }

    private static IptablesRule rule(String chain, List<String> match, List<String> comment, List<String> target) {
        List<String> spec = new ArrayList<>(match.size() + comment.size() + target.size());
        spec.addAll(match);
        spec.addAll(comment);
        spec.addAll(target);
        return new IptablesRule("nat", chain, spec);
    }

    /**
     * The masquerade rules of {@code previous} (e.g. from the last subnet.env) that {@code current} no
     * longer wants, as flannel recycles them: per family present in both, when the Network or the
     * lease subnet changed. Empty when nothing changed.
     */
    public static Optional<RuleSet> staleMasq(RuleSet previous, RuleSet current) {
        if (previous == null) {
            return Optional.empty();
        }
        Cidr n4 = null;
        Cidr s4 = null;
        Cidr n6 = null;
        Cidr s6 = null;
        if (changed(previous, current, IpFamily.IPV4)) {
            n4 = previous.network4;
            s4 = previous.subnet4;
        }
        if (changed(previous, current, IpFamily.IPV6)) {
            n6 = previous.network6;
            s6 = previous.subnet6;
        }
        if (n4 == null && n6 == null) {
            return Optional.empty();
        }
        return Optional.of(new RuleSet(n4, s4, n6, s6, true, previous.randomFully, false));
    }

    private static boolean changed(RuleSet previous, RuleSet current, IpFamily f) {
        return previous.has(f) && previous.subnet(f) != null && current.has(f)
                && (!previous.network(f).equals(current.network(f))
                    || !Objects.equals(previous.subnet(f), current.subnet(f)));
    }

    /** Assembles a {@link RuleSet}; randomFully and forwardRules default to true (flannel's defaults), ipMasq to false. */
    public static final class Builder {
        private Cidr network4;
        private Cidr subnet4;
        private Cidr network6;
        private Cidr subnet6;
        private boolean ipMasq;
        private boolean randomFully = true;
        private boolean forwardRules = true;

        private Builder() {}

        /** IPv4 cluster network and own lease subnet (subnet may be null without ipMasq). */
        public Builder ipv4(Cidr network, Cidr subnet) {
            this.network4 = network;
            this.subnet4 = subnet;
            return this;
        }

        public Builder ipv6(Cidr network, Cidr subnet) {
            this.network6 = network;
            this.subnet6 = subnet;
            return this;
        }

        public Builder ipMasq(boolean on) {
            this.ipMasq = on;
            return this;
        }

        public Builder randomFully(boolean on) {
            this.randomFully = on;
            return this;
        }

        public Builder forwardRules(boolean on) {
            this.forwardRules = on;
            return this;
        }

        public RuleSet build() {
            return new RuleSet(network4, subnet4, network6, subnet6, ipMasq, randomFully, forwardRules);
        }
    }
}
