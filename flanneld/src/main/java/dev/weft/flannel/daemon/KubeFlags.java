package dev.weft.flannel.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import picocli.CommandLine.ParseResult;

/**
 * flanneld's Kubernetes-API flags. This build leases subnets from etcd only, so any of them, on
 * the command line or as its FLANNELD_* variable, stops weftd with one line that says so, instead
 * of a daemon that starts and then leases from an etcd nobody meant.
 */
final class KubeFlags {
    /** flannel v0.28.9's kube-mode flags, without the dash. */
    static final List<String> NAMES = List.of("kube-subnet-mgr", "kube-api-url", "kubeconfig-file",
            "kube-annotation-prefix", "set-node-network-unavailable");

    private KubeFlags() {
    }

    /** The line to print and exit 1 with, or empty when no Kubernetes flag was given. */
    static Optional<String> refusal(ParseResult parsed, WeftdOptions o, UnaryOperator<String> env) {
        List<String> given = new ArrayList<>();
        for (String name : NAMES) {
            String var = "FLANNELD_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            boolean onLine = parsed.hasMatchedOption("-" + name);
            boolean on = name.equals("kube-subnet-mgr")
                    ? o.kubeSubnetMgr || (!onLine && "true".equalsIgnoreCase(env.apply(var)))
                    : onLine || env.apply(var) != null;
            if (on) {
                given.add(onLine || env.apply(var) == null ? "-" + name : var);
            }
        }
        if (given.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("weftd: " + String.join(", ", given) + ": this build leases subnets from etcd (-etcd-endpoints, "
                + "or -subnet-store file:PATH on one node); flannel's Kubernetes subnet manager is not part of it");
    }
}
