package dev.weft.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtNetlink;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.Names;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

@KernelTest
class NetNsTest {

    @Test
    void aTaskRunsInsideTheNamespaceAndSeesItsOwnLinks() throws Exception {
        try (TestNetns ns = TestNetns.create()) {
            ns.ip("link", "add", "wt-only-here", "type", "bridge");
            String before = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            try (NetNs h = NetNs.open(ns.path().toString())) {
                List<String> inside = h.run(() -> {
                    try (RtNetlink nl = RtNetlink.open()) {
                        return nl.links().stream().map(Link::name).sorted().toList();
                    }
                });
                assertEquals(List.of("lo", "wt-only-here"), inside);
                String insideInode = h.run(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
                assertEquals("net:[" + inode(ns) + "]", insideInode, "the task's thread must be in that namespace");
                assertNotEquals(before, insideInode);
            }
            // The calling thread never moved, and the root namespace does not have the link.
            assertEquals(before, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
            try (RtNetlink root = RtNetlink.open()) {
                assertTrue(root.link("wt-only-here").isEmpty());
            }
        }
    }

    @Test
    void aTaskExceptionReachesTheCallerUnchanged() {
        try (TestNetns ns = TestNetns.create(); NetNs h = NetNs.open(ns.path().toString())) {
            IOException e = assertThrows(IOException.class, () -> h.run(() -> {
                throw new IOException("boom");
            }));
            assertEquals("boom", e.getMessage());
        }
    }

    @Test
    void createAndDeleteLikeIpNetns() throws Exception {
        String name = Names.unique();
        try {
            try (NetNs created = NetNs.create(name)) {
                assertTrue(Cmd.run("ip", "netns", "list").stdout().contains(name), "ip netns list must show it");
                // ip can enter it: the bind mount is a real namespace
                String links = Cmd.run("ip", "-n", name, "-o", "link", "show").stdout();
                assertTrue(links.contains("lo:"), links);
                assertEquals(1, links.strip().lines().count(), "a fresh namespace has only lo");
                ErrnoException dup = assertThrows(ErrnoException.class, () -> NetNs.create(name));
                assertEquals(Errno.EEXIST, dup.errno());
            }
            NetNs.delete(name);
            assertFalse(Cmd.run("ip", "netns", "list").stdout().contains(name));
            assertFalse(NetNs.exists(name));
            ErrnoException again = assertThrows(ErrnoException.class, () -> NetNs.delete(name));
            assertEquals(Errno.ENOENT, again.errno());
        } finally {
            Cmd.tryRun("ip", "netns", "del", name);
        }
    }

    @Test
    void openingAMissingPathGivesEnoent() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> NetNs.open("/run/netns/wt-does-not-exist"));
        assertEquals(Errno.ENOENT, e.errno());
        assertThrows(IllegalArgumentException.class, () -> NetNs.create("../etc"));
    }

    @Test
    void processPathWorksToo() throws Exception {
        try (TestNetns ns = TestNetns.create()) {
            ns.ip("link", "add", "wt-proc", "type", "bridge");
            Process p = new ProcessBuilder("ip", "netns", "exec", ns.name(), "sleep", "30").start();
            try {
                long pid = waitForChildInNamespace(p, ns);
                try (NetNs h = NetNs.open("/proc/" + pid + "/ns/net"); RtNetlink nl = RtNetlink.open(h)) {
                    assertTrue(nl.link("wt-proc").isPresent());
                }
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
    }

    /** ip netns exec execs sleep in place, so the child pid ends up inside the namespace. */
    private static long waitForChildInNamespace(Process p, TestNetns ns) throws Exception {
        String nsInode = inode(ns);
        for (int i = 0; i < 100; i++) {
            String have = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/ns/net")).toString();
            if (have.equals("net:[" + nsInode + "]")) {
                return p.pid();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("child never entered " + ns.name());
    }

    /** The namespace's inode number, read by an independent tool. */
    private static String inode(TestNetns ns) {
        return Cmd.run("stat", "-L", "-c", "%i", ns.path().toString()).stdout().strip();
    }
}
