package dev.weft.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtNetlink;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The namespace doorway: open by path or name, the host as a value, the rule for a gone namespace. */
@KernelTest
class NamespaceTest {

    @Test
    void anOpenedNamespaceRunsCodeAndHasItsOwnNetlinkClient() throws Exception {
        try (TestNetns t = TestNetns.create()) {
            t.ip("link", "add", "wt-ns-only", "type", "bridge");
            try (Namespace byPath = Namespace.open(t.path().toString()); Namespace byName = Namespace.openNamed(t.name())) {
                assertFalse(byPath.isHost());
                RtNetlink nl = byPath.netlink();
                assertSame(nl, byPath.netlink(), "one client per namespace, opened once");
                assertEquals(List.of("lo", "wt-ns-only"), nl.links().stream().map(Link::name).sorted().toList());
                assertTrue(byName.netlink().link("wt-ns-only").isPresent());
                String inside = byPath.run(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
                assertFalse(inside.equals(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()), "run() is inside");
                assertTrue(byPath.fd() >= 0);
            }
            try (RtNetlink root = RtNetlink.open()) {
                assertTrue(root.link("wt-ns-only").isEmpty(), "the host never saw the namespace's link");
            }
        }
    }

    @Test
    void theHostIsAValueWhoseCodeRunsInPlace() {
        try (Namespace host = Namespace.host()) {
            assertTrue(host.isHost());
            Thread caller = Thread.currentThread();
            assertSame(caller, host.run(Thread::currentThread), "no thread hop, no setns for the host");
            assertTrue(host.netlink().link("lo").isPresent());
            assertThrows(IllegalStateException.class, host::fd);
        }
    }

    @Test
    void aGoneNamespaceIsEmptyForOpenIfExistsAndATypedErrorForOpen() {
        String gone;
        try (TestNetns t = TestNetns.create()) {
            gone = t.path().toString();
        }
        assertTrue(Namespace.openIfExists(gone).isEmpty());
        assertTrue(Namespace.openIfExists("").isEmpty(), "no path at all counts as gone");
        NamespaceGoneException e = assertThrows(NamespaceGoneException.class, () -> Namespace.open(gone));
        assertEquals(Errno.ENOENT, e.errno(), "still an ENOENT ErrnoException for the CNI runner");
        assertEquals("open netns " + gone + ": ENOENT", e.getMessage());
        assertThrows(NamespaceGoneException.class, () -> Namespace.open(""));
        // Not gone, just not openable: that is not the rule's business.
        ErrnoException notDir = assertThrows(ErrnoException.class, () -> Namespace.openIfExists("/proc/version/x"));
        assertEquals(Errno.ENOTDIR, notDir.errno());
        assertThrows(IllegalArgumentException.class, () -> Namespace.openNamed("../etc"));
    }

    @Test
    void aBorrowedHandleOutlivesTheNamespaceValue() {
        try (TestNetns t = TestNetns.create(); NetNs handle = NetNs.open(t.path().toString())) {
            try (Namespace ns = Namespace.borrow(handle)) {
                ns.netlink().links();
            }
            try (RtNetlink nl = RtNetlink.open(handle)) {
                assertTrue(nl.link("lo").isPresent(), "the caller's handle is still open");
            }
        }
    }
}
