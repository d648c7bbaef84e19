package dev.weft.exec;

import java.util.List;

/**
 * Runs system tools (iptables*, ip6tables*, nft) for the plugins and the daemon. {@link #local()}
 * runs them in the caller's own network namespace; {@link #inNetns} prefixes
 * {@code ip netns exec <name>} (which execs in place, so the process count stays the same), which is
 * how tests keep their rules out of the host's tables.
 */
public interface CommandRunner {

    /** What a finished command left behind. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        public Result {
            command = List.copyOf(command);
        }

        public boolean ok() {
            return exitCode == 0;
        }

        /** One line for error messages: the command, its exit code and its stderr. */
        public String describe() {
            String err = stderr.strip();
            return String.join(" ", command) + ": exit " + exitCode + (err.isEmpty() ? "" : ": " + err);
        }
    }

    /**
     * Runs {@code argv} with {@code stdin} (null: none) and waits for it.
     *
     * @throws ToolMissingException when the program cannot be found or started
     */
    Result run(List<String> argv, String stdin);

    default Result run(String... argv) {
        return run(List.of(argv), null);
    }

    /** True when {@code program} can be found, without starting anything. */
    boolean hasTool(String program);

    /** Runs the tools in the current network namespace. */
    static CommandRunner local() {
        return new ProcessCommandRunner(null);
    }

    /** Runs the tools inside {@code /run/netns/<name>} via {@code ip netns exec}. */
    static CommandRunner inNetns(String name) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("invalid netns name '" + name + "'");
        }
        return new ProcessCommandRunner(name);
    }

    /** The program is not installed (or could not be started at all). */
    final class ToolMissingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ToolMissingException(String message) {
            super(message);
        }
    }
}
