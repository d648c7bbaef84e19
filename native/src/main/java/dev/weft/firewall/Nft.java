package dev.weft.firewall;

import dev.weft.exec.CommandRunner;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code nft} tool through a {@link CommandRunner}: scripts are one {@code nft -f -}
 * transaction (all or nothing), listings one {@code nft list ...}. Exceptions of the runner pass
 * through, as with {@link Iptables}.
 */
public final class Nft {
    private final CommandRunner runner;

    public Nft(CommandRunner runner) {
        this.runner = runner;
    }

    /** Applies {@code script} as one transaction: {@code nft -f -}. */
    public CommandRunner.Result apply(String script) {
        return run(List.of("-f", "-"), script);
    }

    /** Parses and checks {@code script} without applying it: {@code nft -c -f -}. */
    public CommandRunner.Result check(String script) {
        return run(List.of("-c", "-f", "-"), script);
    }

    /** {@code nft <args...>}, e.g. {@code -j list chain inet t c} or {@code -a list table ip t}. */
    public CommandRunner.Result command(String... args) {
        return run(List.of(args), null);
    }

    /** True when a failed listing failed because the table or chain does not exist (yet). */
    public static boolean missing(CommandRunner.Result r) {
        return !r.ok() && r.stderr().contains("No such file or directory");
    }

    private CommandRunner.Result run(List<String> args, String stdin) {
        List<String> argv = new ArrayList<>(args.size() + 1);
        argv.add("nft");
        argv.addAll(args);
        return runner.run(argv, stdin);
    }
}
