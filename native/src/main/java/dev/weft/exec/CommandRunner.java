package dev.weft.exec;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Runs system tools (iptables*, ip6tables*, nft) for the plugins and the daemon. {@link #local()}
 * runs them in the caller's own network namespace; {@link #inNetns} prefixes
 * {@code ip netns exec <name>} (which execs in place, so the process count stays the same), which is
 * how tests keep their rules out of the host's tables.
 *
 * <p>Every run is bounded by {@link Limits}: a tool that outlives the timeout is killed (with every
 * process it started) and {@link TimeoutException} names it; a tool that prints more than the
 * output limit is killed the same way ({@link OutputLimitException}). Callers treat both as a failed
 * attempt, never as a result to plan on.
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
     * How long one command may run and how much it may print.
     *
     * @param timeout   wall-clock bound from start to exit
     * @param maxStdout bytes of stdout kept; more kills the command (a cut dump must never be planned on)
     * @param maxStderr bytes of stderr kept for messages; the rest is read and dropped
     */
    record Limits(Duration timeout, int maxStdout, int maxStderr) {
        /**
         * Far above any real run: iptables -w waits for the xtables lock, and iptables-save of a
         * kube-proxy node with tens of thousands of services prints tens of megabytes.
         */
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(60), 256 << 20, 64 << 10);

        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero() || maxStdout <= 0 || maxStderr <= 0) {
                throw new IllegalArgumentException("limits must be positive: " + timeout + " " + maxStdout + " " + maxStderr);
            }
        }
    }

    /**
     * Runs {@code argv} with {@code stdin} (null: none) and waits for it.
     *
     * @throws ToolMissingException when the program cannot be found or started
     * @throws AbortedException     when it was killed for outliving its timeout or printing too much
     */
    Result run(List<String> argv, String stdin);

    default Result run(String... argv) {
        return run(List.of(argv), null);
    }

    /** True when {@code program} can be found, without starting anything. */
    boolean hasTool(String program);

    /**
     * The absolute path of {@code program} from $PATH and the sbin/bin directories a daemon's PATH
     * may lack; a name with a '/' is checked as given. Null when not found.
     */
    static String find(String program) {
        return ProcessCommandRunner.resolve(program);
    }

    /** Runs the tools in the current network namespace. */
    static CommandRunner local() {
        return local(Limits.DEFAULT);
    }

    static CommandRunner local(Limits limits) {
        return new ProcessCommandRunner(null, limits);
    }

    /** Runs the tools inside {@code /run/netns/<name>} via {@code ip netns exec}. */
    static CommandRunner inNetns(String name) {
        return inNetns(name, Limits.DEFAULT);
    }

    static CommandRunner inNetns(String name, Limits limits) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("invalid netns name '" + name + "'");
        }
        return new ProcessCommandRunner(name, limits);
    }

    /** The program is not installed (or could not be started at all). */
    final class ToolMissingException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ToolMissingException(String message) {
            super(message);
        }
    }

    /** The command was started but killed before it finished: its output is not to be used. */
    abstract sealed class AbortedException extends RuntimeException permits TimeoutException, OutputLimitException {
        private static final long serialVersionUID = 1L;
        private final List<String> command;

        AbortedException(List<String> command, String why) {
            super(String.join(" ", command) + ": " + why);
            this.command = List.copyOf(command);
        }

        public List<String> command() {
            return command;
        }
    }

    /** The command outlived {@link Limits#timeout()} and was killed. */
    final class TimeoutException extends AbortedException {
        private static final long serialVersionUID = 1L;

        public TimeoutException(List<String> command, Duration timeout) {
            super(command, "timed out after " + timeout.toMillis() + " ms; killed");
        }
    }

    /** The command printed more than {@link Limits#maxStdout()} and was killed. */
    final class OutputLimitException extends AbortedException {
        private static final long serialVersionUID = 1L;

        public OutputLimitException(List<String> command, int limit) {
            super(command, "printed more than " + limit + " bytes; killed");
        }
    }
}
