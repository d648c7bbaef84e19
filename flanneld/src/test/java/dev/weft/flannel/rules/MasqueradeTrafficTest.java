package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.exec.CommandRunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Real packets through the rules. Four namespaces:
 * <pre>
 *   pod 10.244.3.2 --- 10.244.3.1 [node] 192.0.2.1 --- 192.0.2.2 outside (no route to 10.244/16)
 *                                  [node] 10.244.7.1 --- 10.244.7.2 remote pod (in C, routes back via node)
 * </pre>
 * The outside can only answer the pod if the node masquerades; the remote pod must see the pod's own
 * address. The node's FORWARD policy is DROP (as Docker sets it), so WEFT-FWD must let the traffic through.
 */
@KernelTest
class MasqueradeTrafficTest {
    private static final IpFamily V4 = IpFamily.IPV4;
    private static final Duration PING = Duration.ofSeconds(10);
    private static final String MASQ_LINE =
            "-A WEFT-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"weftd masq\" -j MASQUERADE --random-fully";
    private static final String RETURN_LINE =
            "-A WEFT-POSTRTG -s 10.244.3.0/24 -d 10.244.0.0/16 -m comment --comment \"weftd masq\" -j RETURN";
    private static final RuleSet SET = RuleSet.builder()
            .ipv4(Cidr.parse("10.244.0.0/16"), Cidr.parse("10.244.3.0/24")).ipMasq(true).build();

    private static void wire(TestNetns node, TestNetns pod, TestNetns outside, TestNetns remote) {
        link(node, "wt-pod0", "10.244.3.1/24", pod, "10.244.3.2/24", "10.244.3.1");
        link(node, "wt-ext0", "192.0.2.1/24", outside, "192.0.2.2/24", null);
        link(node, "wt-rem0", "10.244.7.1/24", remote, "10.244.7.2/24", "10.244.7.1");
        node.setSysctl("net.ipv4.ip_forward", "1");
        // what the outside and the remote pod receive, by source address
        for (TestNetns peer : new TestNetns[] {outside, remote}) {
            Fw.iptables(peer.name(), V4, "-A", "INPUT", "-p", "icmp", "-s", "192.0.2.1");
            Fw.iptables(peer.name(), V4, "-A", "INPUT", "-p", "icmp", "-s", "10.244.3.2");
        }
    }

    private static void link(TestNetns node, String nodeEnd, String nodeAddr, TestNetns peer, String peerAddr, String gw) {
        node.ip("link", "add", nodeEnd, "type", "veth", "peer", "name", "eth0", "netns", peer.name());
        node.ip("addr", "add", nodeAddr, "dev", nodeEnd);
        node.ip("link", "set", nodeEnd, "up");
        peer.ip("addr", "add", peerAddr, "dev", "eth0");
        peer.ip("link", "set", "eth0", "up");
        if (gw != null) {
            peer.ip("route", "add", "default", "via", gw);
        }
    }

    private static boolean ping(TestNetns from, String to, int count) {
        return Cmd.of("ping", "-n", "-q", "-c", String.valueOf(count), "-i", "0.2", "-W", "2", to)
                .netns(from.name()).timeout(PING).tryRun().ok();
    }

    /** Packets the peer's INPUT counted from {@code source}. */
    private static long seenFrom(TestNetns peer, String source) {
        return Fw.packets(peer.name(), V4, "filter", "-A INPUT -s " + source + "/32 -p icmp");
    }

    @Test
    void podToOutsideIsMasqueradedAndPodToClusterIsNot(TestNetns node, TestNetns pod, TestNetns outside, TestNetns remote) {
        wire(node, pod, outside, remote);
        Fw.iptables(node.name(), V4, "-P", "FORWARD", "DROP");
        assertFalse(ping(pod, "192.0.2.2", 1), "without the rules the node drops the pod's traffic");

        new IptablesRules(CommandRunner.inNetns(node.name())).install(SET);

        assertTrue(ping(pod, "192.0.2.2", 3), "the outside answers the node's address");
        assertTrue(seenFrom(outside, "192.0.2.1") >= 3, "the outside saw the node as source");
        assertEquals(0, seenFrom(outside, "10.244.3.2"), "the outside never saw the pod's address");
        assertEquals(1, Fw.packets(node.name(), V4, "nat", MASQ_LINE), "one flow, masqueraded once");

        assertTrue(ping(pod, "10.244.7.2", 3), "pod to pod inside C");
        assertTrue(seenFrom(remote, "10.244.3.2") >= 3, "the remote pod saw the pod's own address");
        assertEquals(0, seenFrom(remote, "192.0.2.1"));
        assertEquals(1, Fw.packets(node.name(), V4, "nat", RETURN_LINE), "the flow inside C hit the RETURN rule");
        assertEquals(1, Fw.packets(node.name(), V4, "nat", MASQ_LINE), "and not MASQUERADE");
        assertTrue(Fw.packets(node.name(), V4, "filter",
                "-A WEFT-FWD -s 10.244.0.0/16 -m comment --comment \"weftd forward\" -j ACCEPT") >= 6,
                "WEFT-FWD accepted what FORWARD would have dropped");
    }

    @Test
    void nftablesModeMasqueradesToo(TestNetns node, TestNetns pod, TestNetns outside, TestNetns remote) {
        wire(node, pod, outside, remote);
        assertFalse(ping(pod, "192.0.2.2", 1), "without masquerade the outside cannot answer");
        Fw.iptables(outside.name(), V4, "-Z", "INPUT"); // it did receive that ping, from the pod's address

        new NftablesRules(CommandRunner.inNetns(node.name())).install(SET);

        assertTrue(ping(pod, "192.0.2.2", 3));
        assertTrue(seenFrom(outside, "192.0.2.1") >= 3);
        assertEquals(0, seenFrom(outside, "10.244.3.2"));
        assertTrue(ping(pod, "10.244.7.2", 3));
        assertTrue(seenFrom(remote, "10.244.3.2") >= 3);
        assertEquals(0, seenFrom(remote, "192.0.2.1"));
    }

    @Test
    void ipv6PodToOutsideIsMasqueradedAndPodToClusterIsNot(TestNetns node, TestNetns pod, TestNetns outside,
                                                           TestNetns remote) {
        IpFamily v6 = IpFamily.IPV6;
        link6(node, "wt-pod0", "fd00:10:244:3::1/64", pod, "fd00:10:244:3::2/64", "fd00:10:244:3::1");
        link6(node, "wt-ext0", "2001:db8::1/64", outside, "2001:db8::2/64", null);
        link6(node, "wt-rem0", "fd00:10:244:7::1/64", remote, "fd00:10:244:7::2/64", "fd00:10:244:7::1");
        node.setSysctl("net.ipv6.conf.all.forwarding", "1");
        for (TestNetns peer : new TestNetns[] {outside, remote}) {
            Fw.iptables(peer.name(), v6, "-A", "INPUT", "-p", "ipv6-icmp", "-s", "2001:db8::1");
            Fw.iptables(peer.name(), v6, "-A", "INPUT", "-p", "ipv6-icmp", "-s", "fd00:10:244:3::2");
        }
        Fw.iptables(node.name(), v6, "-P", "FORWARD", "DROP");
        RuleSet set = RuleSet.builder().ipv6(Cidr.parse("fd00:10:244::/48"), Cidr.parse("fd00:10:244:3::/64"))
                .ipMasq(true).build();

        new IptablesRules(CommandRunner.inNetns(node.name())).install(set);

        assertTrue(ping(pod, "2001:db8::2", 3), "the outside answers the node's address");
        assertTrue(Fw.packets(outside.name(), v6, "filter", "-A INPUT -s 2001:db8::1/128 -p ipv6-icmp") >= 3);
        assertEquals(0, Fw.packets(outside.name(), v6, "filter", "-A INPUT -s fd00:10:244:3::2/128 -p ipv6-icmp"));
        assertTrue(ping(pod, "fd00:10:244:7::2", 3), "pod to pod inside C");
        assertTrue(Fw.packets(remote.name(), v6, "filter", "-A INPUT -s fd00:10:244:3::2/128 -p ipv6-icmp") >= 3);
        assertEquals(0, Fw.packets(remote.name(), v6, "filter", "-A INPUT -s 2001:db8::1/128 -p ipv6-icmp"));
        assertEquals(1, Fw.packets(node.name(), v6, "nat", "-A WEFT-POSTRTG -s fd00:10:244:3::/64 -d fd00:10:244::/48 "
                + "-m comment --comment \"weftd masq\" -j RETURN"));
    }

    private static void link6(TestNetns node, String nodeEnd, String nodeAddr, TestNetns peer, String peerAddr, String gw) {
        node.ip("link", "add", nodeEnd, "type", "veth", "peer", "name", "eth0", "netns", peer.name());
        node.ip("addr", "add", nodeAddr, "dev", nodeEnd, "nodad");
        node.ip("link", "set", nodeEnd, "up");
        peer.ip("addr", "add", peerAddr, "dev", "eth0", "nodad");
        peer.ip("link", "set", "eth0", "up");
        if (gw != null) {
            peer.ip("-6", "route", "add", "default", "via", gw);
        }
    }
}
