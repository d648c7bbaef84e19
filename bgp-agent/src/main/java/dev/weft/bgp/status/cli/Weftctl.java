package dev.weft.bgp.status.cli;

import dev.weft.bgp.status.FamilyLabel;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.status.RouteView;
import dev.weft.bgp.status.StatusJson;
import dev.weft.bgp.status.StatusJson.PeersDoc;
import dev.weft.bgp.status.StatusJson.RoutesDoc;
import dev.weft.bgp.status.StatusServer;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * weftctl: reads the agent's status endpoint and prints it for people (or passes the JSON through).
 * Exit codes: 0 shown, 1 the agent could not be reached or refused, 2 bad usage.
 */
@Command(name = "weftctl", mixinStandardHelpOptions = true, versionProvider = Weftctl.BuildVersion.class,
        description = "Shows the state of Weft on this node: weftd (status, leases, nodes, ipam; shutdown stops it gracefully) and the BGP agent (bgp).", subcommands = {Weftctl.Bgp.class, Weftctl.Version.class})
public final class Weftctl {
    /** Prefixes per request when weftctl pages through a table. */
    static final int PAGE = 10_000;
    static final long MAX_BODY = 256L * 1024 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "ENDPOINT",
            description = "unix:<path> or <host>:<port> of the agent (default: ${DEFAULT-VALUE})")
    String endpoint = "unix:" + StatusServer.DEFAULT_SOCKET;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "print the agent's JSON as it is")
    boolean json;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; the exit code is returned, not taken. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Weftctl());
        boolean node = mountNodeCommands(cl);
        cl.setOut(out).setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            boolean nodeCommand = node && NODE_COMMANDS.contains(topLevelName(line));
            if (e instanceof IOException || e instanceof IllegalArgumentException || nodeCommand) {
                err.println("weftctl: " + e.getMessage());
                err.flush();
                return 1;
            }
            throw e;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** weftd's commands, mounted from its jar (dev.weft.flannel.cli) when that is on the class path. */
    static final List<String> NODE_COMMANDS = List.of("status", "leases", "nodes", "ipam", "shutdown");

    /** The name of the command right below weftctl that {@code line} is, or is under ({@code ipam} for {@code ipam show}). */
    static String topLevelName(CommandLine line) {
        CommandLine l = line;
        while (l.getParent() != null && l.getParent().getParent() != null) {
            l = l.getParent();
        }
        return l.getCommandName();
    }

    /**
     * Adds `status`, `leases` and `ipam` from weftd's jar, found by name: the launcher puts dist/bin/weftd
     * beside weftctl's own jar on the class path, and neither module depends on the other. Without
     * it both commands exist and say what is missing.
     */
    static boolean mountNodeCommands(CommandLine cl) {
        try {
            Class<?> c = Class.forName("dev.weft.flannel.cli.NodeCommands");
            c.getMethod("quietLibraries").invoke(null);
            for (Object command : (List<?>) c.getMethod("commands").invoke(null)) {
                cl.addSubcommand(command);
            }
            return true;
        } catch (ReflectiveOperationException | LinkageError e) {
            for (String name : NODE_COMMANDS) {
                cl.addSubcommand(name, new Missing());
            }
            return false;
        }
    }

    @Command(description = "Needs weftd's jar: run the weftctl installed beside weftd (dist/bin).")
    static final class Missing implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("weftctl: " + spec.name() + " needs weftd's jar on the class path "
                    + "(dist/bin/weftd beside dist/bin/weftctl)");
            return 1;
        }
    }

    StatusClient client() {
        return new StatusClient(StatusClient.Endpoint.parse(endpoint), TIMEOUT, MAX_BODY);
    }

    /** --version and `weftctl version`: the build, as weftd and the CNI plugins report it. */
    static final class BuildVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {dev.weft.build.BuildInfo.current().describe("weftctl")};
        }
    }

    @Command(name = "version", description = "The build: Maven version and git commit.", mixinStandardHelpOptions = true)
    static final class Version implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            dev.weft.build.BuildInfo b = dev.weft.build.BuildInfo.current();
            PrintWriter out = spec.commandLine().getOut();
            if (top(spec).json) {
                out.println(StatusJson.MAPPER.writeValueAsString(java.util.Map.of("version", b.version(), "commit", b.commit())));
            } else {
                out.println(b.describe("weftctl"));
            }
            return 0;
        }
    }

    @Command(name = "bgp", description = "BGP peers and routes.", subcommands = {Peers.class, Routes.class},
            mixinStandardHelpOptions = true)
    static final class Bgp {
    }

    @Command(name = "peers", description = "Sessions, one line each; with an address, that peer in full.",
            mixinStandardHelpOptions = true)
    static final class Peers implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(arity = "0..1", paramLabel = "ADDRESS", description = "one peer")
        String address;

        @Override
        public Integer call() throws IOException {
            Weftctl top = top(spec);
            PrintWriter out = spec.commandLine().getOut();
            byte[] body = top.client().get("/bgp/peers");
            PeersDoc doc = StatusJson.MAPPER.readValue(body, PeersDoc.class);
            if (address == null) {
                out.print(top.json ? new String(body, StandardCharsets.UTF_8) : PeerTable.render(doc));
                return 0;
            }
            String want = IpAddress.parse(address).toString();
            for (PeerView p : doc.peers()) {
                if (p.address().equals(want)) {
                    out.print(top.json ? StatusJson.MAPPER.writeValueAsString(p) + "\n" : PeerTable.details(doc, p));
                    return 0;
                }
            }
            spec.commandLine().getErr().println("weftctl: no peer " + want);
            return 1;
        }
    }

    @Command(name = "routes", description = "The Loc-RIB, one line per path, like `gobgp global rib`.",
            mixinStandardHelpOptions = true)
    static final class Routes implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = {"-f", "--family"}, paramLabel = "FAMILY", description = "ipv4 (default) or ipv6")
        String family = "ipv4";
        @Parameters(arity = "0..1", paramLabel = "PREFIX", description = "only this prefix")
        String prefix;

        @Override
        public Integer call() throws IOException {
            Weftctl top = top(spec);
            PrintWriter out = spec.commandLine().getOut();
            boolean v6 = FamilyLabel.parse(family).orElseThrow(
                    () -> new IllegalArgumentException("family must be ipv4 or ipv6, not " + family)).isV6();
            Cidr only = prefix == null ? null : Cidr.parse(prefix);
            StatusClient client = top.client();
            if (top.json && only == null) {
                out.flush();
                client.get("/bgp/routes?family=" + family, new NonClosing(out));
                return 0;
            }
            String after = "";
            boolean first = true;
            do {
                String q = "/bgp/routes?family=" + family + "&limit=" + PAGE
                        + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
                RoutesDoc page = StatusJson.MAPPER.readValue(client.get(q), RoutesDoc.class);
                List<RouteView> shown = only == null ? page.routes()
                        : page.routes().stream().filter(r -> r.prefix().equals(only.toString())).toList();
                if (top.json) {
                    for (RouteView r : shown) {
                        out.println(StatusJson.MAPPER.writeValueAsString(r));
                    }
                } else if (first || !shown.isEmpty()) {
                    out.print(RouteTable.render(shown, page.nowMillis(), first, v6));
                    first = false;
                }
                after = page.next() == null ? "" : page.next();
            } while (!after.isEmpty());
            return 0;
        }
    }

    private static Weftctl top(CommandSpec spec) {
        CommandSpec s = spec;
        while (s.parent() != null) {
            s = s.parent();
        }
        return (Weftctl) s.userObject();
    }

    /** Lets the response stream into stdout's writer without closing it. */
    private static final class NonClosing extends OutputStream {
        private final PrintWriter out;

        NonClosing(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            out.write(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }
}
