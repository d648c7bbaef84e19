package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.firewall.NftListing;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.NftRuleset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Reads and pokes a namespace's firewall with the real tools, for assertions. */
final class Fw {
    private Fw() {}

    /** Every {@code -A} line of {@code iptables-save -t <table>}, in order. */
    static List<String> rules(String ns, IpFamily f, String table) {
        return Cmd.of(f.iptablesSave(), "-t", table).netns(ns).run().lines().stream()
                .filter(l -> l.startsWith("-A ")).toList();
    }

    /** The chains declared in {@code iptables-save -t <table>}. */
    static List<String> chains(String ns, IpFamily f, String table) {
        return Cmd.of(f.iptablesSave(), "-t", table).netns(ns).run().lines().stream()
                .filter(l -> l.startsWith(":")).map(l -> l.substring(1, l.indexOf(' '))).toList();
    }

    /** Packet counter of the rule printed as {@code line} ({@code iptables-save -c}); -1 when absent. */
    static long packets(String ns, IpFamily f, String table, String line) {
        for (String l : Cmd.of(f.iptablesSave(), "-c", "-t", table).netns(ns).run().lines()) {
            if (l.startsWith("[") && l.substring(l.indexOf(']') + 1).strip().equals(line)) {
                return Long.parseLong(l.substring(1, l.indexOf(':')));
            }
        }
        return -1;
    }

    static Cmd.Result iptables(String ns, IpFamily f, String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = f.iptables();
        System.arraycopy(args, 0, argv, 1, args.length);
        return Cmd.of(argv).netns(ns).run();
    }

    /** Rule lines per chain of {@code nft list table <family> <name>}; empty map if there is no such table. */
    static Map<String, List<String>> nftChains(String ns, IpFamily f) {
        Cmd.Result r = Cmd.of("nft", "list", "table", f.nftFamily(), NftablesRules.tableName(f)).netns(ns).tryRun();
        return r.ok() ? NftListing.ruleTexts(r.stdout()) : Map.of();
    }

    static NftRuleset nft(String ns) {
        return KernelState.nft(ns);
    }

    static void nftScript(String ns, String script) {
        Cmd.of("nft", "-f", "-").netns(ns).input(script).run();
    }

    /** Polls until {@code cond} holds; fails after {@code timeout}. */
    static void await(Duration timeout, String what, BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
