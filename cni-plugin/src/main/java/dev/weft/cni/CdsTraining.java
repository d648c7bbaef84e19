package dev.weft.cni;

import dev.weft.cni.skel.PluginRunner;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A training run for the JVM's class-data-sharing archive: the installer runs each executable once
 * with WEFT_CDS_TRAIN=1 and -XX:ArchiveClassesAtExit, and every later start maps the classes this
 * run loaded instead of parsing them from the jar. The run does a real ADD, CHECK and DEL of
 * the whole flannel → bridge → host-local chain, of weft-routed and of loopback, in throwaway wt- namespaces, so
 * the archive holds exactly what a real invocation needs.
 */
final class CdsTraining {
    private CdsTraining() {
    }

    static int run() throws IOException {
        String tag = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        String hostName = "wt-cds-h-" + tag;
        String podName = "wt-cds-p-" + tag;
        Path tmp = Files.createTempDirectory("wt-cds");
        NetNs.create(hostName).close();
        NetNs.create(podName).close();
        try (Namespace host = Namespace.openNamed(hostName)) {
            Path env = tmp.resolve("subnet.env");
            Files.writeString(env, "FLANNEL_NETWORK=10.254.0.0/16\nFLANNEL_SUBNET=10.254.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
            String flannel = "{\"cniVersion\":\"1.1.0\",\"name\":\"cds\",\"type\":\"weft-flannel\",\"subnetFile\":\"" + env
                    + "\",\"dataDir\":\"" + tmp.resolve("saved") + "\",\"delegate\":{\"bridge\":\"wt-cds0\",\"hairpinMode\":true},"
                    + "\"ipam\":{\"dataDir\":\"" + tmp.resolve("ipam") + "\"}}";
            String loopback = "{\"cniVersion\":\"1.1.0\",\"name\":\"cds\",\"type\":\"weft-loopback\"}";
            String routed = "{\"cniVersion\":\"1.1.0\",\"name\":\"cdsr\",\"type\":\"weft-routed\",\"mtu\":1450,"
                    + "\"ipam\":{\"type\":\"weft-host-local\",\"ranges\":[[{\"subnet\":\"10.254.2.0/24\"}],[{\"subnet\":\"fd00:254:2::/64\"}]],"
                    + "\"dataDir\":\"" + tmp.resolve("ipam-routed") + "\"}}";
            String pod = NetNs.RUN_DIR.resolve(podName).toString();
            int rc = host.run(() -> {
                int r = 0;
                r |= invoke("weft-loopback", "ADD", pod, loopback);
                r |= invoke("weft-flannel", "ADD", pod, flannel);
                r |= invoke("weft-flannel", "STATUS", pod, flannel);
                r |= invoke("weft-flannel", "DEL", pod, flannel);
                r |= invoke("weft-routed", "ADD", pod, routed);
                r |= invoke("weft-routed", "DEL", pod, routed);
                r |= invoke("weft-loopback", "DEL", pod, loopback);
                invoke("weft-bridge", "VERSION", pod, "{\"cniVersion\":\"1.1.0\"}");
                // weftd is not there: STATUS still loads the plugin, the socket client and the protocol
                invoke("weft-ipam", "STATUS", pod, "{\"cniVersion\":\"1.1.0\",\"name\":\"cds\",\"type\":\"weft-ipam\","
                        + "\"ipam\":{\"socket\":\"" + tmp.resolve("no-weftd.sock") + "\"}}");
                return r;
            });
            System.err.println("weft: CDS training run " + (rc == 0 ? "completed" : "had failures (archive still written)"));
            return 0;
        } finally {
            NetNs.delete(podName);
            NetNs.delete(hostName);
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int invoke(String plugin, String verb, String netns, String config) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", verb);
        env.put("CNI_CONTAINERID", "cds-training");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/nonexistent");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = PluginRunner.run(Main.plugin(plugin), env, config.getBytes(StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        if (rc != 0) {
            System.err.println("weft: CDS training " + plugin + " " + verb + ": " + out);
        }
        return rc;
    }
}
