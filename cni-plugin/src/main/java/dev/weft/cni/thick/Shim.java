package dev.weft.cni.thick;

import dev.weft.cni.skel.Stdin;
import dev.weft.cni.skel.Trace;
import dev.weft.ipam.socket.IpamFrame;
import dev.weft.ipc.UnixStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * The entry of a thick plugin ({@code weft-routed}): forwards the whole CNI invocation to weftd,
 * which has its JVM warm and JNR-FFI loaded, over its root-only CNI socket, and prints the exact
 * stdout and exit code that weftd's in-process run of the same plugin code produced. When weftd is
 * not there or does not serve the request (an IPAM type it does not run itself, another network
 * namespace, an older weftd, too big a config, or {@code WEFT_THICK=0}), this same JVM runs the
 * plugin itself, as {@link dev.weft.cni.Main} always did: no second process.
 *
 * <p>The forwarded path loads java.base and Weft's libc binding on jffi only (no JNR-FFI, no
 * Jackson, no logging framework): that is the whole point. It reaches the socket through
 * {@link UnixStream} rather than the JDK's Unix {@code SocketChannel}, whose first open cost the
 * shim 18-28 ms of its ~60 (the NIO selector provider's service lookup opens the plugin jar, and
 * {@code sun.nio.ch.UnixDomainSockets} seeds a SecureRandom, which initializes the security
 * providers) against ~13 ms for binding libc through jffi, which the plugin run needs anyway when
 * weftd does not serve. {@code WEFT_TRACE=1} prints the shim's phases. String concatenation and
 * lambdas are avoided on it for the same reason (each first use bootstraps through java.lang.invoke).
 */
public final class Shim {
    /** weftd's CNI socket, unless the configuration's weft-ipam names another. */
    static final String DEFAULT_SOCKET = "/run/weft/cni.sock";
    /**
     * How long weftd may take, each read and write of the socket bounded by it: as for weft-ipam's
     * socket client, a minute means it is stuck. weftd's own deadline ({@link ThickService#DEADLINE})
     * is below it, and weftd undoes an ADD this shim did not get.
     */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private Shim() {
    }

    /** The class the launcher starts for {@code plugin}: this shim for a thick plugin, else the plugin's own entry. */
    public static String entryClass(String plugin) {
        return plugin.equals("weft-routed") ? Shim.class.getName() : "dev.weft.cni.Main";
    }

    public static void main(String[] args) throws Exception {
        Trace.mark("shim main");
        String plugin = System.getProperty("weft.plugin", "");
        if (System.getenv("WEFT_CDS_TRAIN") != null) {
            ShimTraining.run(plugin); // the forwarded path's classes, then the plugin's own training
        } else if (System.getenv("CNI_COMMAND") != null) {
            // as the plugin reads it (it reads nothing on a bare call, which prints its version)
            byte[] stdin = null;
            try {
                stdin = System.in.readNBytes(Stdin.CAP + 1) /* one more: the plugin refuses it */;
            } catch (IOException e) {
                // the plugin reads again and reports the error in its words
            }
            Trace.mark("stdin read");
            if (stdin != null) {
                String why = forward(plugin, stdin);
                if (!why.isEmpty() && System.getenv("WEFT_TRACE") != null) {
                    System.err.println("weft: running " + plugin + " in this process: " + why);
                }
                System.setIn(new ByteArrayInputStream(stdin));
            }
        }
        dev.weft.cni.Main.main(args);
    }

    /**
     * Sends the invocation to weftd and, when it served it, writes its answer and ends the JVM.
     * Returns why it was not served ("" when there is simply no weftd to ask).
     */
    static String forward(String plugin, byte[] stdin) {
        Path socket = socket(stdin);
        if (socket == null) {
            return "";
        }
        Trace.mark("config read");
        byte[] frame = frame(plugin, stdin, socket);
        Trace.mark("request framed");
        if (frame == null) {
            return "";
        }
        if (frame.length > ThickWire.MAX_FRAME) {
            return "the configuration is too big to forward";
        }
        ThickWire.Answer a;
        try {
            a = call(socket, frame);
        } catch (IOException e) {
            return ""; // nobody listening: a stale socket of a stopped weftd
        } catch (RuntimeException | LinkageError e) {
            // libc not bound (no jffi stub): the plugin run below needs it too and reports it
            return "cannot reach weftd's socket: ".concat(String.valueOf(e));
        } catch (Stuck e) {
            // weftd took the request and then broke off: whether it did anything is unknown, so
            // neither run it again here nor say it failed for good; the runtime retries it later.
            // (An ADD that weftd finishes after this JVM is gone is undone there: ThickService.)
            print(FileDescriptor.out, ThickWire.tryAgainLater(e.getMessage()));
            Runtime.getRuntime().halt(1);
            return "";
        }
        if (!a.served()) {
            return a.decline();
        }
        Trace.mark("answer read");
        print(FileDescriptor.out, a.stdout());
        print(FileDescriptor.err, a.stderr());
        Trace.mark("answer printed");
        Trace.print();
        Runtime.getRuntime().halt(a.exit());
        return "";
    }

    /**
     * The weftd socket the configuration's weft-ipam names (its {@code socket}, else weftd's default),
     * or null when there is none to ask: IPAM of another type, which weftd never runs, or a
     * configuration this reader cannot follow (the plugin then reports what is wrong with it).
     */
    static Path socket(byte[] stdin) {
        try {
            Map<String, String> conf = ThickWire.FlatJson.parse(new String(stdin, java.nio.charset.StandardCharsets.UTF_8));
            String ipamText = conf.get("ipam");
            if (ipamText == null || !ipamText.startsWith("{")) {
                return null;
            }
            Map<String, String> ipam = ThickWire.FlatJson.parse(ipamText);
            if (!"weft-ipam".equals(ipam.get("type"))) {
                return null;
            }
            String sock = ipam.get("socket");
            return Path.of(sock == null || sock.isEmpty() || sock.equals("null") ? DEFAULT_SOCKET : sock);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The request to forward, or null when there is nothing to ask (no weftd socket, a verb it never serves). */
    static byte[] frame(String plugin, byte[] stdin, Path socket) {
        Map<String, String> env = new TreeMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (e.getKey().startsWith("CNI_")) {
                env.put(e.getKey(), e.getValue());
            }
        }
        String verb = env.get("CNI_COMMAND");
        if (verb == null || !ThickWire.VERBS.contains(verb) || "0".equals(System.getenv("WEFT_THICK"))
                || stdin.length > Stdin.CAP || !Files.exists(socket.resolveSibling(socket.getFileName().toString().concat(".thick")))) {
            return null;
        }
        String netns = env.get("CNI_NETNS");
        return ThickWire.encode(new ThickWire.Request(ThickWire.VERSION, plugin, NsId.of("/proc/self/ns/net"),
                netns == null || netns.isEmpty() ? "" : NsId.of(netns), env, stdin));
    }

    /** weftd broke off after taking the whole request. */
    static final class Stuck extends Exception {
        private static final long serialVersionUID = 1L;

        Stuck(String msg) {
            super(msg, null, false, false);
        }
    }

    static ThickWire.Answer call(Path socket, byte[] frame) throws IOException, Stuck {
        try (UnixStream ch = UnixStream.connect(socket, ANSWER_TIMEOUT)) {
            Trace.mark("connected");
            IpamFrame.write(ch.out(), frame);
            Trace.mark("request sent");
            try {
                byte[] answer = IpamFrame.read(ch.in());
                if (answer == null) {
                    throw new EOFException("end of stream");
                }
                return ThickWire.decodeAnswer(answer);
            } catch (IOException | RuntimeException e) {
                // a read that timed out, a frame over the limit, the end of the stream, an answer that
                // does not decode: the request is sent, so running the plugin here could ADD twice
                throw new Stuck("weftd broke off while serving the request (" + e + "); try again later");
            }
        }
    }

    private static void print(FileDescriptor fd, byte[] b) {
        if (b.length == 0) {
            return;
        }
        try {
            FileOutputStream out = new FileOutputStream(fd);
            out.write(b);
            out.flush();
        } catch (IOException e) {
            // the runtime went away: nobody is left to read it
        }
    }
}
