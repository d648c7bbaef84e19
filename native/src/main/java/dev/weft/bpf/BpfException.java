package dev.weft.bpf;

import dev.weft.libc.ErrnoException;

/**
 * bpf(2) refused a request. For a program load the verifier's log (its last lines, which say
 * what it rejected and where) is part of the message and kept in {@link #verifierLog()}.
 */
public final class BpfException extends ErrnoException {
    private static final long serialVersionUID = 1L;
    private static final int LOG_TAIL = 2000;

    private final String verifierLog;

    BpfException(String operation, int errno, String verifierLog) {
        super(operation, errno, tail(verifierLog));
        this.verifierLog = verifierLog == null ? "" : verifierLog;
    }

    public String verifierLog() {
        return verifierLog;
    }

    private static String tail(String log) {
        if (log == null || log.isBlank()) {
            return null;
        }
        String t = log.strip();
        return "verifier: " + (t.length() > LOG_TAIL ? "…" + t.substring(t.length() - LOG_TAIL) : t);
    }
}
