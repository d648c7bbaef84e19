package dev.weft.bgp.fsm;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.TestNetns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * BIRD 2 in a test namespace with one BGP protocol "weft" towards our speaker (bgp.md §3.2), run in
 * the foreground so that the process we hold is bird itself and we stop it by that PID.
 */
final class BirdProcess implements AutoCloseable {
    private final TestNetns ns;
    private final Path dir;
    private final Process process;

    private BirdProcess(TestNetns ns, Path dir, Process process) {
        this.ns = ns;
        this.dir = dir;
        this.process = process;
    }

    /**
     * @param extra lines inside the protocol block, e.g. {@code password "x";}
     */
    static BirdProcess start(TestNetns ns, String self, long as, String neighbor, long neighborAs, String extra)
            throws IOException {
        Path dir = Files.createTempDirectory("wt-bird-");
        String conf = "log \"" + dir.resolve("bird.log") + "\" all;\n"
                + "router id " + self + ";\n"
                + "protocol device { scan time 10; }\n"
                + "protocol direct { ipv4; interface \"eth0\"; }\n"
                + "protocol static { ipv4; route 10.244.9.0/26 blackhole; }\n"
                + "protocol bgp weft {\n"
                + "  local " + self + " as " + as + "; neighbor " + neighbor + " as " + neighborAs + ";\n"
                + "  hold time 9; keepalive time 3; connect retry time 1; connect delay time 1; error wait time 1,2;\n"
                + "  " + extra + "\n"
                + "  ipv4 { import all; export where source = RTS_STATIC; };\n"
                + "}\n";
        Files.writeString(dir.resolve("bird.conf"), conf);
        Cmd.run("bird", "-p", "-c", dir.resolve("bird.conf").toString());
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns.name(), "bird", "-f", "-c",
                dir.resolve("bird.conf").toString(), "-s", dir.resolve("bird.ctl").toString(), "-P",
                dir.resolve("bird.pid").toString());
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("stdout").toFile());
        BirdProcess b = new BirdProcess(ns, dir, pb.start());
        TestSpeaker.await("bird's control socket", java.time.Duration.ofSeconds(10),
                () -> Files.exists(dir.resolve("bird.ctl")));
        return b;
    }

    String birdc(String... args) {
        String[] cmd = new String[6 + args.length];
        cmd[0] = "ip";
        cmd[1] = "netns";
        cmd[2] = "exec";
        cmd[3] = ns.name();
        cmd[4] = "birdc";
        cmd[5] = "-s" + dir.resolve("bird.ctl");
        System.arraycopy(args, 0, cmd, 6, args.length);
        return Cmd.run(cmd).stdout();
    }

    /** The "weft" line of {@code show protocols}: its state column says Established when the session is up. */
    boolean established() {
        return birdc("show", "protocols", "weft").lines().anyMatch(l -> l.startsWith("weft") && l.contains("Established"));
    }

    String log() {
        try {
            return Files.readString(dir.resolve("bird.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** SIGKILL: the kernel closes bird's sockets, so the session drops without a NOTIFICATION (a crash). */
    void crash() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM to bird's own PID ("ip netns exec" execs it)
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
