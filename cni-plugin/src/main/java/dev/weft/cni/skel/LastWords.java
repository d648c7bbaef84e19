package dev.weft.cni.skel;

import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.CniVersion;
import dev.weft.cni.spec.JsonString;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The error answer of last resort, for when the normal path cannot run: out of memory, a class or
 * the native stub that did not load, a failure while printing the first answer. A runtime reads
 * stdout as the CNI result, so even then it must carry an error object. The object is built by
 * hand (no Jackson, which may be what failed to load) and written straight to fd 1; a reserve of
 * heap is let go first so that writing it does not need memory the failure has used up.
 */
public final class LastWords {
    private static byte[] reserve = new byte[256 << 10];

    private LastWords() {
    }

    /** Frees the reserve; the next collection returns it to the heap. */
    static void releaseReserve() {
        reserve = null;
    }

    /** Prints {@code t} as a code-999 error object on fd 1, its trace on stderr, and returns the exit code. */
    public static int print(Throwable t) {
        releaseReserve();
        try {
            t.printStackTrace(System.err);
        } catch (Throwable ignored) {
            // The answer on stdout is what matters.
        }
        return print(new CniError(CniError.INTERNAL, summary(t), t.getClass().getSimpleName()), System.err);
    }

    /**
     * The first line of a throwable's message, at most 400 characters, or its class name: jffi puts
     * a whole stack trace into the message of its load error, which belongs on stderr only.
     */
    static String summary(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getName();
        }
        int end = m.indexOf('\n');
        end = Math.min(end < 0 ? m.length() : end, 400);
        return m.substring(0, end).strip();
    }

    /** Prints {@code e} on fd 1 in the current CNI version and returns the exit code. */
    public static int print(CniError e, PrintStream err) {
        StringBuilder s = new StringBuilder(128);
        s.append("{\"cniVersion\":\"").append(CniVersion.CURRENT).append("\",\"code\":").append(e.code()).append(",\"msg\":");
        JsonString.quote(s, e.msg() == null ? "" : e.msg());
        if (!e.details().isEmpty()) {
            s.append(",\"details\":");
            JsonString.quote(s, e.details());
        }
        s.append("}\n");
        try {
            FileOutputStream out = new FileOutputStream(FileDescriptor.out);
            out.write(s.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException ignored) {
            // stdout is gone: nobody is left to tell.
        }
        err.println("weft: " + e.msg() + (e.details().isEmpty() ? "" : ": " + e.details()));
        return 1;
    }
}
