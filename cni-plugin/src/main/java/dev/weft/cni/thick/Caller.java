package dev.weft.cni.thick;

/**
 * The shim a request came from, as weftd's socket sees it: whether it still waits for the answer,
 * and the answer's delivery. A runtime kills a plugin that takes too long; weftd must then know,
 * because an ADD nobody receives is one the runtime counts as failed.
 */
public interface Caller {
    /** Whether the shim has closed its end (it was killed, or gave up): nobody will read an answer. Does not block. */
    boolean gone();

    /** Sends the answer; false when it could not be written (the shim is gone). */
    boolean answer(byte[] payload);
}
