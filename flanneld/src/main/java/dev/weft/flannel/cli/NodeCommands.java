package dev.weft.flannel.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * weftctl's node commands (status, leases, nodes, ipam, shutdown). weftctl itself lives with the BGP agent and mounts
 * these from weftd's jar when it is on its class path ({@link #commands()}, found by name, so the
 * two modules stay independent); {@link #main} runs them alone.
 */
@Command(name = "weftctl", mixinStandardHelpOptions = true, description = "This node, the cluster's subnet leases and block IPAM; weftd's graceful stop.")
public final class NodeCommands {
    private NodeCommands() {
    }

    /** Fresh command objects, to add as subcommands. */
    public static List<Object> commands() {
        return List.of(new StatusCommand(), new LeasesCommand(), new NodesCommand(), new IpamCommand(), new ShutdownCommand());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; an I/O failure is one line on stderr and exit 1. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        quietLibraries();
        CommandLine cl = new CommandLine(new NodeCommands());
        for (Object c : commands()) {
            cl.addSubcommand(c);
        }
        cl.setOut(out).setErr(err);
        cl.setExecutionExceptionHandler(NodeCommands::failure);
        int rc = cl.execute(args);
        out.flush();
        err.flush();
        return rc;
    }

    /** What weftctl's own handler does for these commands' failures. */
    public static int failure(Exception e, CommandLine line, CommandLine.ParseResult parsed) {
        PrintWriter err = line.getErr();
        err.println("weftctl: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        err.flush();
        return 1;
    }

    /** jetcd and gRPC log at info; a CLI shows only its answer. */
    public static void quietLibraries() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
}
