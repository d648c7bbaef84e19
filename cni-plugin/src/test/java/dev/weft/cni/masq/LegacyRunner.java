package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code iptables-legacy-save/-restore} where the code asks for {@code iptables-save/-restore}:
 * the x_tables backend replaces a whole table per commit, so only the xtables lock (-w) keeps
 * concurrent restores from losing each other's rules.
 */
final class LegacyRunner implements CommandRunner {
    private final CommandRunner inner;

    LegacyRunner(CommandRunner inner) {
        this.inner = inner;
    }

    @Override
    public Result run(List<String> argv, String stdin) {
        List<String> a = new ArrayList<>(argv);
        a.set(0, legacy(a.get(0)));
        return inner.run(a, stdin);
    }

    @Override
    public boolean hasTool(String program) {
        return inner.hasTool(legacy(program));
    }

    private static String legacy(String tool) {
        return tool.replaceFirst("^(ip6?tables)-(save|restore)$", "$1-legacy-$2");
    }
}
