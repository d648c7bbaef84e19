package dev.weft.testkit;

/** An external command exited non-zero or timed out. Carries the full {@link Cmd.Result}. */
public class CmdException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Cmd.Result result;

    public CmdException(Cmd.Result result) {
        super(describe(result));
        this.result = result;
    }

    public Cmd.Result result() {
        return result;
    }

    static String describe(Cmd.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append('`').append(String.join(" ", r.command())).append('`');
        if (r.timedOut()) {
            sb.append(" timed out after ").append(r.elapsed().toMillis()).append(" ms (killed)");
        } else {
            sb.append(" failed with exit code ").append(r.exitCode());
        }
        String err = r.stderr().strip();
        String out = r.stdout().strip();
        sb.append("\n  stderr: ").append(err.isEmpty() ? "<empty>" : truncate(err));
        if (!out.isEmpty()) {
            sb.append("\n  stdout: ").append(truncate(out));
        }
        return sb.toString();
    }

    private static String truncate(String s) {
        return s.length() <= 4000 ? s : s.substring(0, 4000) + "... (" + (s.length() - 4000) + " more chars)";
    }
}
