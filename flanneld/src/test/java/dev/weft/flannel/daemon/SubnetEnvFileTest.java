package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.Victim;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** subnet.env has flannel's variables in flannel's order, 0644, and weftd takes flanneld's flags. */
class SubnetEnvFileTest {

    private static Lease lease(String v4, String v6) {
        return new Lease(Cidr.parse(v4), v6 == null ? null : Cidr.parse(v6),
                new LeaseAttrs(IpAddress.parse("192.168.1.5"), null, "vxlan", null, null), 0, 0);
    }

    @Test
    void ipv4OnlyIsFlannelsExactText(@TempDir Path dir) throws Exception {
        NetworkConfig cfg = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        String text = SubnetEnvFile.render(cfg, lease("10.244.1.0/24", null), 1450, true);
        assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", text);
        Path f = dir.resolve("run/flannel/subnet.env");
        SubnetEnvFile.write(f, text);
        assertEquals(text, Files.readString(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        SubnetEnvFile.write(f, text.replace("true", "false"));
        assertEquals(text.replace("true", "false"), Files.readString(f));
        try (var s = Files.list(f.getParent())) {
            assertEquals(1, s.count(), "no temp file left behind");
        }
    }

    @Test
    void symlinksPlantedAtTheFileOrItsOldTempNameAreNotFollowed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("subnet.env");
        try (Victim atTemp = Victim.existing(); Victim atFile = Victim.existing()) {
            atTemp.plantAt(dir.resolve(".subnet.env.tmp"));
            atFile.plantAt(f);
            SubnetEnvFile.write(f, "FLANNEL_MTU=1450\n");
            atTemp.assertUntouched();
            atFile.assertUntouched();
            assertTrue(Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS), "the link is replaced by the file");
            assertEquals("FLANNEL_MTU=1450\n", Files.readString(f));
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS)));
        }
    }

    @Test
    void dualStackOrder() {
        NetworkConfig cfg = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"2001:cafe:42::/56\","
                + "\"Backend\":{\"Type\":\"vxlan\"}}");
        String text = SubnetEnvFile.render(cfg, lease("10.244.1.0/24", "2001:cafe:42::/64"), 1450, false);
        assertEquals("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_NETWORK=2001:cafe:42::/56\n"
                + "FLANNEL_IPV6_SUBNET=2001:cafe:42::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n", text);
    }

    @Test
    void flannelFlagNamesAreAcceptedInEveryForm() {
        WeftdOptions o = new WeftdOptions();
        new CommandLine(o).parseArgs("-etcd-endpoints=http://10.0.0.1:2379", "--etcd-prefix", "/x/network", "-iface", "eth0",
                "-iface", "10.0.0.5", "-iface-regex", "^ens", "-ip-masq", "-subnet-file", "/tmp/s.env", "-subnet-lease-renew-margin", "30",
                "-iptables-resync=7", "-iptables-forward-rules=false", "-healthz-port", "8081", "-v", "2", "-subnet-lease-ttl", "90s");
        assertEquals("http://10.0.0.1:2379", o.store.etcdEndpoints);
        assertEquals("/x/network", o.store.etcdPrefix);
        assertEquals(java.util.List.of("eth0", "10.0.0.5"), o.ifaces());
        assertEquals(java.util.List.of("^ens"), o.ifaceRegexes());
        assertEquals(true, o.ipMasq);
        assertEquals(30, o.renewMarginMinutes);
        assertEquals(7, o.iptablesResync);
        assertEquals(false, o.forwardRules);
        assertEquals(8081, o.healthzPort);
        assertEquals(2, o.verbosity);
        assertEquals(Duration.ofSeconds(90), GoDuration.parse(o.leaseTtl));
        assertEquals(Duration.ofMinutes(90), GoDuration.parse("1h30m"));
        WeftdOptions d = new WeftdOptions();
        new CommandLine(d).parseArgs();
        assertEquals("http://127.0.0.1:4001,http://127.0.0.1:2379", d.store.etcdEndpoints);
        assertEquals("/run/flannel/subnet.env", d.subnetFile);
        assertEquals(60, d.renewMarginMinutes);
        assertEquals(true, d.forwardRules);
    }
}
