package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.testkit.Cmd;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd with client-certificate authentication, as flannel's functional suite runs it: the
 * {@code -etcd-cafile/-etcd-certfile/-etcd-keyfile} options must get us in, and nothing else may.
 */
class EtcdTlsTest {
    @TempDir
    static Path dir;
    static Process etcd;
    static String endpoint;
    static Process serverOnlyEtcd;
    static String serverOnlyEndpoint;

    @BeforeAll
    static void startTlsEtcd() throws Exception {
        ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=wt-test-ca", "-keyout", p("ca.key"), "-out", p("ca.crt"));
        issue("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
        issue("client", "extendedKeyUsage=clientAuth");
        etcd = launch("wt-tls", true);
        endpoint = url;
        serverOnlyEtcd = launch("wt-tls-server-only", false);
        serverOnlyEndpoint = url;
    }

    private static String url;

    /** A TLS etcd on fresh ports; with {@code clientCertAuth} it demands a client certificate. */
    private static Process launch(String name, boolean clientCertAuth) throws Exception {
        int client;
        int peer;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            client = a.getLocalPort();
            peer = b.getLocalPort();
        }
        String ep = "https://127.0.0.1:" + client;
        String peerUrl = "http://127.0.0.1:" + peer;
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcd", "--name", name, "--data-dir", p(name + ".data"),
                "--listen-client-urls", ep, "--advertise-client-urls", ep,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", name + "=" + peerUrl,
                "--cert-file", p("server.crt"), "--key-file", p("server.key")));
        if (clientCertAuth) {
            cmd.addAll(List.of("--trusted-ca-file", p("ca.crt"), "--client-cert-auth"));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
        Process proc = pb.start();
        Await.until(Duration.ofSeconds(15), () -> Cmd.tryRun("/usr/bin/etcdctl", "--endpoints=" + ep,
                "--cacert=" + p("ca.crt"), "--cert=" + p("client.crt"), "--key=" + p("client.key"),
                "--dial-timeout=1s", "endpoint", "health").ok(), () -> "TLS etcd to be healthy: " + log(name));
        url = ep;
        return proc;
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process p : new Process[] {etcd, serverOnlyEtcd}) {
            if (p != null) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    private static String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "<no log>";
        }
    }

    private static void ssl(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Cmd.run(cmd);
    }

    private static void issue(String name, String extensions) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"), extensions + "\n");
        ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=wt-" + name,
                "-keyout", p(name + ".key"), "-out", p(name + ".csr"));
        ssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
                "-days", "2", "-extfile", p(name + ".ext"), "-out", p(name + ".crt"));
    }

    @Test
    void clientCertificateGetsInAndTheManagerWorks() {
        EtcdOptions o = EtcdOptions.of(endpoint).withTls(p("ca.crt"), p("client.crt"), p("client.key"))
                .withRequestTimeout(Duration.ofSeconds(5));
        assertTrue(o.usesTls());
        try (EtcdKvStore store = EtcdKvStore.connect(o);
             EtcdKvStore other = EtcdKvStore.connect(o)) {
            store.put("/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\"}", null);
            SubnetManager m = new SubnetManager(store);
            EventLog log = new EventLog();
            LeaseWatcher w = m.watchLeases(() -> null, log);
            try {
                log.awaitSnapshot(Duration.ofSeconds(10));
                Lease l = new SubnetManager(other).acquireLease(Nodes.node(1), null);
                LeaseEvent.Added a = log.awaitAdded(l.subnet(), Duration.ofSeconds(10));
                assertEquals(l.attrs(), a.lease().attrs());
                assertTrue(a.lease().expirationEpochMillis() > System.currentTimeMillis() + 3_600_000L);
            } finally {
                w.close();
            }
            assertEquals(Optional.of("{\"Network\":\"10.5.0.0/16\"}"),
                    store.get("/coreos.com/network/config").map(e -> e.value()));
        }
    }

    @Test
    void withoutTheClientCertificateTheServerRefusesUs() {
        // A CA alone is server-only TLS: this server wants a client certificate as well.
        EtcdOptions o = EtcdOptions.of(endpoint).withTls(p("ca.crt"), null, null).withRequestTimeout(Duration.ofSeconds(2));
        try (EtcdKvStore store = EtcdKvStore.connect(o)) {
            assertThrows(KvException.class, () -> store.get("/coreos.com/network/config"));
        }
    }

    @Test
    void unreadableKeyFilesAreAClearError() {
        EtcdOptions o = EtcdOptions.of(endpoint).withTls(p("ca.crt"), p("client.crt"), p("missing.key"));
        KvException e = assertThrows(KvException.class, () -> EtcdKvStore.connect(o));
        assertTrue(e.getMessage().contains("missing.key"), e.getMessage());
    }

    @Test
    void aCaAloneIsServerOnlyTls() {
        EtcdOptions o = EtcdOptions.of(serverOnlyEndpoint).withTls(p("ca.crt"), null, null)
                .withRequestTimeout(Duration.ofSeconds(5));
        assertTrue(o.usesTls());
        try (EtcdKvStore store = EtcdKvStore.connect(o)) {
            store.put("/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\"}", null);
            Lease l = new SubnetManager(store).acquireLease(Nodes.node(2), null);
            assertEquals(Optional.of(l.attrs().toJson()), store.get("/coreos.com/network/subnets/" + l.key()).map(e -> e.value()));
        }
        // and the server is verified: a CA that did not sign it gets nowhere
        EtcdOptions wrong = EtcdOptions.of(serverOnlyEndpoint).withTls(p("client.crt"), null, null)
                .withRequestTimeout(Duration.ofSeconds(2));
        try (EtcdKvStore store = EtcdKvStore.connect(wrong)) {
            assertThrows(KvException.class, () -> store.get("/coreos.com/network/config"));
        }
    }

    @Test
    void halfAClientIdentityIsRefusedNamingTheFlags() {
        IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
                () -> EtcdOptions.of(endpoint).withTls(p("ca.crt"), p("client.crt"), null));
        assertTrue(noKey.getMessage().contains("-etcd-certfile") && noKey.getMessage().contains("-etcd-keyfile"), noKey.getMessage());
        IllegalArgumentException noCert = assertThrows(IllegalArgumentException.class,
                () -> EtcdOptions.of(endpoint).withTls(null, "", p("client.key")));
        assertTrue(noCert.getMessage().contains("-etcd-keyfile") && noCert.getMessage().contains("-etcd-certfile"), noCert.getMessage());
    }
}
