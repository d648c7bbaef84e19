package dev.weft.cni;

import dev.weft.cni.blockipam.BlockIpamPlugin;
import dev.weft.cni.bridge.BridgePlugin;
import dev.weft.cni.flannel.FlannelPlugin;
import dev.weft.cni.hostlocal.HostLocalPlugin;
import dev.weft.cni.invoke.InProcess;
import dev.weft.cni.loopback.LoopbackPlugin;
import dev.weft.cni.routed.RoutedPlugin;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.LastWords;
import dev.weft.cni.skel.PluginRunner;
import dev.weft.cni.skel.Trace;
import dev.weft.cni.spec.CniError;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Function;

/**
 * Entry point of every Weft CNI executable. One jar serves all plugins; the launcher passes the
 * executable's own name in the system property {@code weft.plugin}.
 *
 * <p>A plugin's JVM lives for a tenth of a second, so the start-up path avoids lambdas and method
 * references: each call site costs a bootstrap through java.lang.invoke on its first (and only)
 * run, a fraction of a millisecond apiece, several milliseconds for the first one.
 */
public final class Main {
    private static final List<String> NAMES = List.of("weft-loopback", "weft-bridge", "weft-flannel", "weft-host-local",
            "weft-routed", "weft-ipam");

    private Main() {
    }

    /** Weft's own plugin for a type, or null. */
    public static CniPlugin plugin(String type) {
        return switch (type) {
            case "weft-loopback" -> new LoopbackPlugin();
            case "weft-bridge" -> new BridgePlugin();
            case "weft-flannel" -> new FlannelPlugin();
            case "weft-host-local" -> new HostLocalPlugin();
            case "weft-routed" -> new RoutedPlugin();
            case "weft-ipam" -> new BlockIpamPlugin();
            default -> null;
        };
    }

    /** {@link #plugin} as the delegation registry (a class, not a method reference: see above). */
    private static final class Registry implements Function<String, CniPlugin> {
        @Override
        public CniPlugin apply(String type) {
            return plugin(type);
        }
    }

    public static void main(String[] args) {
        int rc;
        try {
            rc = run(args);
        } catch (Throwable t) {
            // Whatever escaped the runner (a class that failed to load before it ran, an error
            // while printing its answer): stdout still gets an error object.
            rc = LastWords.print(t);
        }
        System.exit(rc);
    }

    private static int run(String[] args) throws IOException {
        Trace.mark("main");
        String name = System.getProperty("weft.plugin", args.length > 0 ? args[0] : "");
        CniPlugin p = plugin(name);
        if (p == null) {
            return LastWords.print(new CniError(CniError.INTERNAL, "unknown plugin \"" + name + "\"", "known: " + NAMES),
                    System.err);
        }
        InProcess.useRegistry(new Registry());
        if (System.getenv("WEFT_CDS_TRAIN") != null) {
            return CdsTraining.run();
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        int rc = PluginRunner.run(p, System.getenv(), System.in, out, System.err);
        out.flush();
        Trace.mark("done");
        Trace.print();
        return rc;
    }
}
