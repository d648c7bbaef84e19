package dev.weft.e2e;

import dev.weft.bgp.status.cli.Weftctl;
import java.io.PrintWriter;
import java.io.StringWriter;

/** A node's {@code weftctl bgp peers}, read from the status socket a bgp weftd serves in its directory. */
public final class BgpSessions {
    /** The weftd flag value that puts each node's status socket in its own directory. */
    public static final String SOCKET_ARG = SimCluster.NODE_DIR + "/bgp.sock";

    private BgpSessions() {
    }

    /** The peer table, or a line saying why weftctl could not print it. */
    public static String table(SimCluster.Node n) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Weftctl.run(new String[] {"--endpoint", "unix:" + n.dir().resolve("bgp.sock"), "bgp", "peers"},
                new PrintWriter(out, true), new PrintWriter(err, true));
        return rc == 0 ? out.toString() : "weftctl failed (" + rc + "): " + err;
    }

    /** {@code weftctl bgp peers <address>}: one session in detail (state, up/down, flaps, prefixes). */
    public static String details(SimCluster.Node n, String peer) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Weftctl.run(new String[] {"--endpoint", "unix:" + n.dir().resolve("bgp.sock"), "bgp", "peers", peer},
                new PrintWriter(out, true), new PrintWriter(err, true));
        return rc == 0 ? out.toString() : "weftctl failed (" + rc + "): " + err;
    }
}
