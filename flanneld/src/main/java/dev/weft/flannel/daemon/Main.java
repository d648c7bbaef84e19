package dev.weft.flannel.daemon;

import picocli.CommandLine;

/**
 * weftd's entry point: flags, logging, then the daemon. Exit codes: 143 (SIGTERM) or 130 (SIGINT),
 * the JVM's status once the shutdown hook has let weftd clean up (weftd.service counts 143 as
 * success); 0 after the same stop asked for by {@code weftctl shutdown} (the DaemonSet's preStop); {@value #EXIT_FAILURE} a start-up failure, as flanneld, and any Kubernetes-API flag; {@value #EXIT_USAGE} bad flags;
 * {@value #EXIT_LEASE_MOVED} the node's own lease was lost and re-acquired with a different subnet
 * (restart weftd, as a DaemonSet does, to take up the new subnet).
 */
public final class Main {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    /** Not 3: that is the JVM's status after -XX:+ExitOnOutOfMemoryError. */
    public static final int EXIT_LEASE_MOVED = 4;
    /** "weftd 0.1.0 (commit 0123456789ab), flannel-compatible": the Maven version and git commit of the build. */
    public static final String VERSION = dev.weft.build.BuildInfo.current().describe("weftd") + ", flannel-compatible";

    private Main() {
    }

    public static void main(String[] args) {
        WeftdOptions o = new WeftdOptions();
        CommandLine cl = new CommandLine(o).setCaseInsensitiveEnumValuesAllowed(true).setUnmatchedOptionsArePositionalParams(false);
        CommandLine.ParseResult parsed = null;
        try {
            parsed = cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("weftd: " + e.getMessage());
            cl.usage(System.err);
            System.exit(EXIT_USAGE);
        }
        if (o.help) {
            cl.usage(System.out);
            return;
        }
        if (o.version) {
            System.out.println(VERSION);
            return;
        }
        java.util.Optional<String> kube = KubeFlags.refusal(parsed, o, System::getenv);
        if (kube.isPresent()) {
            System.err.println(kube.get());
            System.exit(EXIT_FAILURE);
        }
        // SLF4J's simple logger: stderr, timestamps, -v 1+ is debug.
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", o.verbosity > 0 ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.log.io.grpc", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.etcd", "warn");
        int rc = new Weftd(o).run();
        System.exit(rc);
    }
}
