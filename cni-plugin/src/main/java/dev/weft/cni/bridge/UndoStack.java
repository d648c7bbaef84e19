package dev.weft.cni.bridge;

import dev.weft.cni.ipam.Ipam;
import dev.weft.cni.skel.Request;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayDeque;

/**
 * What a failing ADD must take back. Each step that creates something pushes its undo right after
 * (or, for a step that may half-succeed, right before) it runs; on failure the undos run newest
 * first, each on its own, their failures riding on the original error as suppressed exceptions.
 */
public final class UndoStack {
    /** One undo. A class per kind rather than a lambda: no bootstrap on a plugin's start-up path. */
    public interface Undo {
        void run();
    }

    /** Gives back what IPAM reserved for the request. */
    public record ReleaseAddresses(Ipam ipam, Request r) implements Undo {
        @Override
        public void run() {
            ipam.del(r);
        }
    }

    /** Deletes the host end of a veth by name, if it is there (the pod end goes with it). */
    public record DeleteHostVeth(RtNetlink host, String name) implements Undo {
        @Override
        public void run() {
            host.link(name).ifPresent(l -> host.delete(l.index()));
        }
    }

    private final ArrayDeque<Undo> undos = new ArrayDeque<>();

    public void push(Undo undo) {
        undos.push(undo);
    }

    /** Runs every undo, newest first, and empties the stack. */
    public void unwind(RuntimeException cause) {
        while (!undos.isEmpty()) {
            try {
                undos.pop().run();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }
}
