package dev.weft.bgp.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.config.AgentConfig;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The start-up warm-up runs the whole route path (codec, RIB, FIB changes, netlink encoding) and
 * leaves nothing behind: every prefix it announced was installed and then removed in its own RIB,
 * a second pass sees exactly what the first did (no state carried over), and no thread is left.
 * Pure: no kernel, no sockets.
 */
class WarmUpTest {
    @Test
    void runsTheRoutePathAndKeepsNothing() {
        AgentConfig config = AgentConfig.of("10.0.0.1", 64512)
                .withPeers(List.of(AgentConfig.Peer.of("10.0.0.2", 64512)));
        Set<Thread> before = Thread.getAllStackTraces().keySet();

        WarmUp.Result first = WarmUp.run(config.ribConfig(), config.fib().table());
        WarmUp.Result second = WarmUp.run(config.ribConfig(), config.fib().table());

        int n = WarmUp.PER_UPDATE * WarmUp.UPDATES;
        assertEquals(n, first.prefixes());
        assertEquals(n, first.installs(), "every decoded prefix became a best path and a FIB install");
        assertEquals(n, first.removes(), "the throwaway peer's loss removed every one of them");
        // each route as add, replace and delete: 52 octets (header, rtmsg, table, dst, gateway) for
        // the installs, 44 for the removals (Weft's own route, no gateway)
        assertEquals((long) n * 52 * 3 + (long) n * 44 * 3, first.netlinkOctets());
        assertEquals(first.prefixes(), second.prefixes());
        assertEquals(first.installs(), second.installs());
        assertEquals(first.removes(), second.removes());
        assertEquals(first.netlinkOctets(), second.netlinkOctets());

        Set<String> left = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive())
                .map(Thread::getName)
                .filter(name -> !name.startsWith("Common-Cleaner") && !name.startsWith("Attach Listener"))
                .collect(Collectors.toSet());
        assertTrue(left.isEmpty(), "threads left by the warm-up: " + left);
    }
}
