package dev.weft.bgp.status.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.bgp.status.FakeStatus;
import dev.weft.bgp.status.StatusJson;
import dev.weft.bgp.status.StatusServer;
import dev.weft.bgp.status.StatusServer.Limits;
import dev.weft.bgp.status.StatusServer.Listener;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeftctlTest {
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(FakeStatus.NOW), ZoneOffset.UTC);

    static final String PEERS = """
            BGP speaker 10.99.0.1, AS 64512, weft-bgp 0.1.0 "dev"\\x
            Peer       AS     Type  State        Up/Down      Recv/Acc/Adv  Last error
            10.99.0.2  64512  iBGP  Established  01:02:03     14/12/4
            fd00::3    65003  eBGP  Active       1d 01:01:01  0/0/0         sent 6/2 cease: administrative shutdown
            """;

    static final String PEER_DETAILS = """
              BGP neighbor:    fd00::3, remote AS 65003, local AS 64512, eBGP
              State:           Active, up/down 1d 01:01:01, flaps 4
              Messages in:     total 0 (open 0, update 0, keepalive 0, notification 0, route-refresh 0)
              Messages out:    total 6 (open 3, update 0, keepalive 2, notification 1, route-refresh 0)
              Keepalives:      sent 0, late 0, max lateness 0.000 s
              Notifications:   sent {6=1}, received {2=2, 4=1} (by code)
              Last error:      sent 6/2 cease: administrative shutdown, 00:01:01 ago
            """;

    static final String ROUTES = """
                Network             Next Hop         AS_PATH              Age       Attrs
            *>  10.0.0.0/32         10.99.0.2        65001 65002          00:01:05  [{Origin: i} {LocalPref: 100} {Communities: 65000:100, no-export} {From: 10.99.0.2}]
            *=  10.0.0.0/32         10.99.0.3        65003 {65004 65005}  -         [{Origin: ?} {Med: 20} {LocalPref: 100} {From: 10.99.0.3} {Stale}]
            *>  10.0.0.1/32         10.99.0.2        65001 65002          00:01:05  [{Origin: i} {LocalPref: 100} {Communities: 65000:100, no-export} {From: 10.99.0.2}]
            *   10.0.0.1/32         10.99.0.3        65003 {65004 65005}  -         [{Origin: ?} {Med: 20} {LocalPref: 100} {From: 10.99.0.3} {Stale}]
            """;

    @TempDir
    Path dir;
    StatusServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    record Run(int code, String out, String err) {
    }

    String endpoint(int routes) throws IOException {
        Path sock = dir.resolve("bgp.sock");
        server = new StatusServer(new FakeStatus(routes), List.of(Listener.unix(sock)), Limits.DEFAULT, CLOCK);
        return "unix:" + sock;
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Weftctl.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void peersTable() throws IOException {
        Run r = run("bgp", "peers", "--endpoint", endpoint(0));
        assertEquals(new Run(0, PEERS, ""), r);
    }

    @Test
    void onePeerInFull() throws IOException {
        Run r = run("--endpoint", endpoint(0), "bgp", "peers", "fd00:0::3");
        assertEquals(new Run(0, PEER_DETAILS, ""), r);
        Run missing = run("--endpoint", endpoint(0), "bgp", "peers", "10.1.1.1");
        assertEquals(1, missing.code());
        assertEquals("weftctl: no peer 10.1.1.1\n", missing.err());
    }

    @Test
    void routesTable() throws IOException {
        assertEquals(new Run(0, ROUTES, ""), run("bgp", "routes", "--endpoint", endpoint(2)));
    }

    @Test
    void routesArePagedThroughAndFiltered() throws IOException {
        String ep = endpoint(Weftctl.PAGE * 2 + 5);
        Run all = run("bgp", "routes", "-f", "ipv4", "--endpoint", ep);
        assertEquals(0, all.code(), all.err());
        List<String> lines = all.out().lines().toList();
        assertEquals(1 + 2 * (Weftctl.PAGE * 2 + 5), lines.size());
        assertTrue(lines.get(lines.size() - 1).contains(FakeStatus.prefix(Weftctl.PAGE * 2 + 4).toString()));
        Run one = run("bgp", "routes", "--endpoint", ep, "10.0.78.33/32");
        assertEquals(3, one.out().lines().count(), one.out());
        assertTrue(one.out().lines().skip(1).allMatch(l -> l.contains(" 10.0.78.33/32 ")), one.out());
    }

    @Test
    void jsonPassesThrough() throws IOException {
        String ep = endpoint(3);
        Run peers = run("bgp", "peers", "--json", "--endpoint", ep);
        JsonNode doc = StatusJson.MAPPER.readTree(peers.out());
        assertEquals("10.99.0.2", doc.at("/peers/0/address").asText());
        Run routes = run("bgp", "routes", "--json", "--endpoint", ep);
        assertEquals(3, StatusJson.MAPPER.readTree(routes.out()).get("routes").size());
    }

    @Test
    void nothingListeningOnTheSocket() {
        Run r = run("bgp", "peers", "--endpoint", "unix:" + dir.resolve("absent.sock"));
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("weftctl: cannot reach the BGP agent at unix:" + dir.resolve("absent.sock") + ": "),
                r.err());
    }

    @Test
    void nothingListeningOnTcp() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there now
        }
        Run r = run("bgp", "routes", "--endpoint", "127.0.0.1:" + port);
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("weftctl: cannot reach the BGP agent at 127.0.0.1:" + port + ": "), r.err());
    }

    @Test
    void badEndpointIsAUsageError() {
        Run r = run("bgp", "peers", "--endpoint", "nowhere");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("endpoint must be unix:<path> or <host>:<port>"), r.err());
    }
}
