package dev.weft.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@KernelTest
class TestNetnsTest {

    /** Cross-check with the plain-text `ip netns list` (not the JSON the kit itself uses). */
    private static boolean listed(String name) {
        return Cmd.run("ip", "netns", "list").lines().stream()
                .map(l -> l.split(" ")[0])
                .anyMatch(name::equals);
    }

    @Test
    void createAndCloseLeavesNothing() {
        String name;
        try (TestNetns ns = TestNetns.create()) {
            name = ns.name();
            assertTrue(name.startsWith("wt-"), name);
            assertEquals("/run/netns/" + name, ns.path().toString());
            assertTrue(Files.exists(ns.path()));
            assertTrue(listed(name), "ip netns list should show " + name);
            String lo = Cmd.run("ip", "-n", name, "-o", "link", "show", "lo").stdout();
            assertTrue(lo.contains("<LOOPBACK,UP,LOWER_UP>"), "lo is up: " + lo);
            // the namespace really is separate: only lo inside
            assertEquals(1, ns.exec("ip", "-o", "link", "show").lines().size());
            assertTrue(ns.exec("ping", "-c1", "-W1", "127.0.0.1").ok());
        }
        assertFalse(listed(name), "ip netns list still shows " + name);
        assertFalse(Files.exists(TestNetns.NETNS_DIR.resolve(name)));
    }

    @Test
    void closeIsIdempotentAndToleratesExternalDeletion() {
        TestNetns ns = TestNetns.create("x");
        assertTrue(ns.name().matches("wt-[0-9a-z]{6}-x"), ns.name());
        Cmd.run("ip", "netns", "del", ns.name());
        ns.close();
        ns.close();
        assertFalse(listed(ns.name()));
    }

    @Test
    void namedRequiresPrefix() {
        assertThrows(IllegalArgumentException.class, () -> TestNetns.named("weft-bad"));
    }

    @Test
    void sysctlIsPerNamespace() {
        try (TestNetns ns = TestNetns.create(); TestNetns other = TestNetns.create()) {
            // both values in turn: a new namespace may start with either (it copies the host's)
            for (String v : new String[] {"0", "1"}) {
                ns.setSysctl("net.ipv4.ip_forward", v);
                other.setSysctl("net.ipv4.ip_forward", v.equals("1") ? "0" : "1");
                assertEquals(v, ns.sysctl("net.ipv4.ip_forward"));
                assertEquals(v, KernelState.sysctl(ns.name(), "net.ipv4.ip_forward"));
            }
            assertThrows(IllegalArgumentException.class, () -> ns.setSysctl("kernel.panic", "0"));
        }
    }

    @Test
    void injectedNamespaceParameterIsClosedAfterTheTest(TestNetns ns) {
        assertTrue(listed(ns.name()));
    }

    @Test
    void leakGuardDetectsAndRemovesALeakedNamespace() {
        NetnsLeakGuard.Snapshot before = NetnsLeakGuard.snapshot();
        String leaked = Names.unique();
        Cleanup.netnsCreated(leaked);   // only so that concurrently running test JVMs leave it alone
        Cmd.run("ip", "netns", "add", leaked);   // behind the kit's back: no TestNetns tracks it
        try {
            assertTrue(NetnsLeakGuard.wtNetns().contains(leaked));
            AssertionError e = assertThrows(AssertionError.class, () -> NetnsLeakGuard.assertNoLeaks(before));
            assertTrue(e.getMessage().contains(leaked), e.getMessage());
            assertFalse(listed(leaked), "the leak check removes what leaked");
        } finally {
            Cleanup.deleteNetnsQuietly(leaked);
        }
    }

    @Test
    void leakGuardDetectsALeakedRootLinkButIgnoresPreexistingOnes() {
        String preexisting = Names.unique("pre");
        String leaked = Names.unique("lk");
        Cleanup.rootLinkCreated(preexisting);   // claims, only for concurrently running test JVMs
        Cleanup.rootLinkCreated(leaked);
        Cmd.run("ip", "link", "add", preexisting, "type", "bridge");
        try {
            NetnsLeakGuard.Snapshot before = NetnsLeakGuard.snapshot();
            assertTrue(before.links().contains(preexisting));
            Cmd.run("ip", "link", "add", leaked, "type", "bridge");
            NetnsLeakGuard.Leaks leaks = NetnsLeakGuard.leaksSince(before, java.time.Duration.ZERO);
            assertEquals(Set.of(leaked), leaks.links());
            AssertionError e = assertThrows(AssertionError.class, () -> NetnsLeakGuard.assertNoLeaks(before));
            assertTrue(e.getMessage().contains(leaked), e.getMessage());
            assertFalse(NetnsLeakGuard.wtLinks().contains(leaked));
            assertTrue(NetnsLeakGuard.wtLinks().contains(preexisting));
            NetnsLeakGuard.assertNoLeaks(before);  // nothing new any more
        } finally {
            Cleanup.deleteRootLinkQuietly(leaked);
            Cleanup.deleteRootLinkQuietly(preexisting);
        }
    }

    @Test
    void leakGuardIgnoresCleanTests() {
        NetnsLeakGuard.Snapshot before = NetnsLeakGuard.snapshot();
        try (TestNetns a = TestNetns.create(); TestNetns b = TestNetns.create();
             VethPair v = VethPair.create("eth0", a.name(), "eth0", b.name())) {
            assertTrue(KernelState.link(a.name(), v.a().name()).isPresent());
        }
        NetnsLeakGuard.assertNoLeaks(before);
    }
}
