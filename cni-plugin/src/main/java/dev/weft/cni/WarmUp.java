package dev.weft.cni;

import dev.weft.cni.spec.CniVersion;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import dev.weft.cni.spec.ResultJson;
import dev.weft.libc.LibC;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.sysctl.Sysctl;

/**
 * Start-up work done ahead on the machine's other core while the main thread reads and checks
 * its input. Most of a plugin's run is first-time work (loading and linking classes, binding
 * libc through jffi, linking call sites), and it is the same whatever the request: this thread
 * goes through the same code with harmless inputs, read-only, so the main thread later finds it
 * done. It changes no state; any failure here only costs the time it would have saved.
 */
final class WarmUp implements Runnable {
    private WarmUp() {
    }

    /** Starts the warm-up on a daemon thread: it never delays the exit. */
    static void start() {
        Thread t = new Thread(new WarmUp(), "weft-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** The same work on the calling thread (the CDS training run). */
    static void runHere() {
        new WarmUp().run();
    }

    @Override
    public void run() {
        try {
            // In the order the main thread will need them: libc (jffi's stub and symbol binding),
            // a netlink client in "another" namespace (ours, through the same fresh-thread path)
            // with one link lookup, a sysctl read, and last the result's JSON writer.
            LibC.get();
            try (NetNs self = NetNs.current(); RtNetlink nl = RtNetlink.open(self)) {
                nl.link("lo");
            }
            Sysctl.read("net/ipv4/ip_forward");
            Json.write(ResultJson.toJson(Result.empty(), CniVersion.CURRENT));
        } catch (RuntimeException | LinkageError e) {
            // Only speed is at stake, but a failure here (say, jffi cannot load) is the first sign
            // of the main thread's own failure, which may then only say "could not initialize".
            System.err.println("weft: warm-up failed: " + e);
        }
    }
}
