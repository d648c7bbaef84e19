package dev.weft.flannel.cli;

import dev.weft.flannel.daemon.GoDuration;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * weftctl shutdown: the DaemonSet's preStop. Asks the local weftd, over its root-only status socket,
 * to run its graceful stop now (the same steps as SIGTERM: not ready, CNI socket drained, BGP
 * sessions closed for graceful restart, or with --withdraw ended with a Cease) and waits for its
 * report. Exit 0 once weftd reports the stop done (weftd then exits 0); 1 when weftd cannot be
 * reached, refuses, or does not finish within --timeout.
 */
@Command(name = "shutdown", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Stops the local weftd gracefully and waits until it is done (the DaemonSet's preStop).",
                "Without --withdraw the stop is a restart: BGP peers keep this node's routes as stale for the graceful-restart"
                        + " time, kernel routes stay. --withdraw is for a node leaving for good: peers drop its routes at once."})
public final class ShutdownCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-status-socket", "--status-socket"}, defaultValue = "${env:FLANNELD_STATUS_SOCKET:-/run/weft/weftd.sock}",
            description = "weftd's local status socket (weftd's -status-socket)")
    Path socket;

    /** Below the manifest's terminationGracePeriodSeconds (30), which the preStop hook counts against. */
    @Option(names = {"-timeout", "--timeout"}, paramLabel = "DURATION", defaultValue = "20s",
            description = "how long to wait for weftd to finish its stop (Go syntax: 20s, 1m)")
    String timeout;

    @Option(names = {"-withdraw", "--withdraw"},
            description = "end the BGP sessions with Cease/administrative shutdown, so peers drop this node's routes now (decommissioning)")
    boolean withdraw;

    @Override
    public Integer call() throws IOException {
        Duration wait = GoDuration.parse(timeout);
        if (wait.isZero() || wait.isNegative()) {
            throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
        }
        String report = LocalStatus.shutdown(socket, withdraw, wait);
        PrintWriter out = spec.commandLine().getOut();
        out.println(report.strip());
        out.flush();
        return 0;
    }
}
