package dev.weft.cni;

import dev.weft.cni.bridge.BridgePlugin;
import dev.weft.cni.flannel.FlannelPlugin;
import dev.weft.cni.hostlocal.HostLocalPlugin;
import dev.weft.cni.invoke.InProcess;
import dev.weft.cni.loopback.LoopbackPlugin;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.PluginRunner;
import dev.weft.cni.skel.Trace;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Entry point of every Weft CNI executable. One jar serves all plugins; the launcher passes the
 * executable's own name in the system property {@code weft.plugin}.
 */
public final class Main {
    private static final Map<String, Supplier<CniPlugin>> PLUGINS = Map.of(
            "weft-loopback", LoopbackPlugin::new,
            "weft-bridge", BridgePlugin::new,
            "weft-flannel", FlannelPlugin::new,
            "weft-host-local", HostLocalPlugin::new);

    private Main() {
    }

    /** Weft's own plugin for a type, or null. */
    public static CniPlugin plugin(String type) {
        Supplier<CniPlugin> s = PLUGINS.get(type);
        return s == null ? null : s.get();
    }

    public static void main(String[] args) throws IOException {
        Trace.mark("main");
        String name = System.getProperty("weft.plugin", args.length > 0 ? args[0] : "");
        CniPlugin p = plugin(name);
        if (p == null) {
            System.err.println("weft: unknown plugin \"" + name + "\"; known: " + PLUGINS.keySet());
            System.exit(2);
        }
        InProcess.useRegistry(Main::plugin);
        if (System.getenv("WEFT_CDS_TRAIN") != null) {
            System.exit(CdsTraining.run());
        }
        byte[] stdin = System.getenv("CNI_COMMAND") == null ? new byte[0] : System.in.readAllBytes();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        Trace.mark("stdin read");
        int rc = PluginRunner.run(p, System.getenv(), stdin, out, System.err);
        out.flush();
        Trace.mark("done");
        Trace.print();
        System.exit(rc);
    }
}
