package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.config.ConfigException;
import dev.weft.bgp.config.ConfigFile;
import dev.weft.bgp.fib.RtProtos;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code weft-bgp --config FILE}: the speaker on its own (a route reflector, or a node without
 * weftd). SIGHUP reads the file again and applies the peer and prefix differences; SIGTERM or
 * SIGINT sends Cease/2 to every peer and stops, leaving the kernel routes for the next start when
 * graceful restart is on.
 *
 * <p>Exit codes: 0 stopped by a signal; {@value #EXIT_FAILURE} start-up failure (socket, namespace,
 * kernel); {@value #EXIT_USAGE} bad flags or an invalid config file.
 */
public final class Main {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    public static final String VERSION = "weft-bgp 0.1.0";
    private static final Object RELOAD = new Object();
    private static final Object STOP = new Object();

    @CommandLine.Command(name = "weft-bgp", description = "Weft's BGP speaker, standalone.")
    static final class Options {
        @CommandLine.Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
                description = "YAML or JSON (.json) settings: router id, AS, listen, peers, originate, fib")
        Path config;

        // a constant, not RtProtos.DEFAULT_DIR: that would load RtProtos and its logger, and so fix
        // the logging settings (level, timestamps) before main sets them from these options
        @CommandLine.Option(names = "--rt-protos-dir", paramLabel = "DIR", defaultValue = RtProtos.DEFAULT_DIR_NAME,
                description = "where weft.conf names protocols 87/88 for iproute2 (default: ${DEFAULT-VALUE})")
        Path rtProtosDir;

        @CommandLine.Option(names = "-v", description = "verbosity: 1 and above logs debug")
        int verbosity;

        @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true)
        boolean help;

        @CommandLine.Option(names = "--version", versionHelp = true)
        boolean version;
    }

    private Main() {
    }

    public static void main(String[] args) {
        Options o = new Options();
        CommandLine cl = new CommandLine(o);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("weft-bgp: " + e.getMessage());
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
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", o.verbosity > 0 ? "debug" : "info");
        System.setProperty("org.slf4j.simpleLogger.log.io.netty", "warn");
        System.exit(run(o.config, o.rtProtosDir));
    }

    static int run(Path configFile, Path rtProtosDir) {
        Logger log = LoggerFactory.getLogger(Main.class);
        AgentConfig config;
        try {
            config = ConfigFile.read(configFile);
        } catch (ConfigException e) {
            System.err.println("weft-bgp: " + e.getMessage());
            return EXIT_USAGE;
        }
        RtProtos.install(rtProtosDir);
        LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        CountDownLatch stopped = new CountDownLatch(1);
        // The hook asks the main thread to stop and waits (bounded) for the Cease/2s to go out.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            events.add(STOP);
            try {
                stopped.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "weft-bgp-shutdown"));
        handle("HUP", s -> events.add(RELOAD), log);
        // Handled here rather than by the JVM's shutdown, so a stop by signal exits with 0 (not 143).
        handle("TERM", s -> events.add(STOP), log);
        // An ignored SIGINT is a shell's background job, ignored on purpose: no warning for it.
        Signal.handle(new Signal("INT"), s -> events.add(STOP));
        BgpAgent agent;
        try {
            agent = BgpAgent.start(config);
        } catch (RuntimeException e) {
            log.error("weft-bgp: cannot start: {}", e.toString(), e);
            stopped.countDown();
            return EXIT_FAILURE;
        }
        try {
            while (true) {
                Object ev = events.take();
                if (ev == STOP) {
                    log.info("weft-bgp: stopping (Cease/2 to every peer)");
                    break;
                }
                reload(agent, configFile, log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            agent.close();
            stopped.countDown();
        }
        return 0;
    }

    /**
     * A JVM started with a signal ignored (nohup ignores SIGHUP) keeps it ignored and installs no
     * handler, without an error: the old handler it returns is then SIG_IGN. The launcher resets
     * SIGHUP and SIGTERM before java starts; this says so loudly when something else started us.
     */
    private static void handle(String name, SignalHandler handler, Logger log) {
        if (Signal.handle(new Signal(name), handler) == SignalHandler.SIG_IGN) {
            log.warn("weft-bgp: SIG{} was ignored by the process that started us, so it stays ignored{};"
                    + " start through dist/bin/weft-bgp, or with `env --default-signal={}`",
                    name, name.equals("HUP") ? " and a SIGHUP will not reload the config" : "", name);
        }
    }

    /** SIGHUP: a file that does not parse leaves everything as it was. */
    private static void reload(BgpAgent agent, Path configFile, Logger log) {
        try {
            AgentConfig next = ConfigFile.read(configFile);
            log.info("weft-bgp: reloaded {}: {}", configFile, agent.reconfigure(next).get(30, TimeUnit.SECONDS));
        } catch (ConfigException e) {
            log.error("weft-bgp: reload refused, keeping the running config: {}", e.getMessage());
        } catch (Exception e) {
            log.error("weft-bgp: reload failed: {}", e.toString(), e);
        }
    }
}
