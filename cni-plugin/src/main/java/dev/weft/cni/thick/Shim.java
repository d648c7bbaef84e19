package dev.weft.cni.thick;

import dev.weft.cni.skel.Stdin;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>Only java.base is loaded on the forwarded path (no JNR, no Jackson, no logging framework):
 * that is the whole point. String concatenation and lambdas are avoided on it for the same
 * reason (each first use bootstraps through java.lang.invoke).
 */
public final class Shim {
    /** weftd's CNI socket, unless the configuration's weft-ipam names another. */
    static final String DEFAULT_SOCKET = "/run/weft/cni.sock";
    /** How long weftd may take: as for weft-ipam's socket client, a minute means it is stuck. */
    private static final long ANSWER_TIMEOUT_MS = 60_000;

    private Shim() {
    }

    /** The class the launcher starts for {@code plugin}: this shim for a thick plugin, else the plugin's own entry. */
    public static String entryClass(String plugin) {
        return plugin.equals("weft-routed") ? Shim.class.getName() : "dev.weft.cni.Main";
    }

    public static void main(String[] args) throws Exception {
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
        byte[] frame = frame(plugin, stdin, socket);
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
        } catch (Stuck e) {
            // weftd took the request and then broke off: whether it did anything is unknown, so
            // neither run it again here nor say it failed for good; the runtime retries it later.
            print(FileDescriptor.out, ThickWire.tryAgainLater(e.getMessage()));
            Runtime.getRuntime().halt(1);
            return "";
        }
        if (!a.served()) {
            return a.decline();
        }
        print(FileDescriptor.out, a.stdout());
        print(FileDescriptor.err, a.stderr());
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
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Thread watchdog = null;
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.allocate(4 + frame.length);
            out.putInt(frame.length).put(frame).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            // A blocking channel has no read timeout: a watchdog closes it, which ends the read.
            watchdog = new Thread(new Closer(ch), "weft-shim-timeout");
            watchdog.setDaemon(true);
            watchdog.start();
            try {
                ByteBuffer len = readFully(ch, 4);
                int n = len.getInt(0);
                if (n < 0 || n > ThickWire.MAX_FRAME) {
                    throw new Stuck("weftd answered a frame longer than the limit; try again later");
                }
                return ThickWire.decodeAnswer(readFully(ch, n).array());
            } catch (IOException e) {
                throw new Stuck("weftd broke off while serving the request (" + e + "); try again later");
            }
        } finally {
            if (watchdog != null) {
                watchdog.interrupt();
            }
            ch.close();
        }
    }

    private static ByteBuffer readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("end of stream");
            }
        }
        return b;
    }

    /** Closes the channel once the answer timeout has passed; interrupted when the answer came. */
    private static final class Closer implements Runnable {
        private final SocketChannel ch;

        Closer(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void run() {
            try {
                Thread.sleep(ANSWER_TIMEOUT_MS);
                ch.close();
            } catch (InterruptedException | IOException e) {
                // the answer came first, or the channel is already closed
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
