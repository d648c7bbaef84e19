package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A bounded iperf3 run between two pods; returns "x.xx Gbit/s" or "FAILED: …". */
public final class Iperf {
    private Iperf() {
    }

    public static String run(SimCluster.Pod client, SimCluster.Pod server, int seconds) {
        Thread t = new Thread(() -> Cmd.of("ip", "netns", "exec", server.netns().name(), "iperf3", "-s", "-1", "-B", server.ip())
                .timeout(Duration.ofSeconds(seconds + 30)).tryRun(), "iperf3-server");
        t.setDaemon(true);
        t.start();
        SimCluster.sleep(500);
        Cmd.Result r = Cmd.of("ip", "netns", "exec", client.netns().name(), "iperf3", "-c", server.ip(), "-t", String.valueOf(seconds), "-J")
                .timeout(Duration.ofSeconds(seconds + 20)).tryRun();
        if (!r.ok()) {
            return "FAILED: " + r.stderr().strip() + r.stdout().strip();
        }
        Matcher m = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([\\d.e+]+)").matcher(r.stdout());
        return m.find() ? String.format(Locale.ROOT, "%.2f Gbit/s", Double.parseDouble(m.group(1)) / 1e9) : "FAILED: no figure";
    }
}
