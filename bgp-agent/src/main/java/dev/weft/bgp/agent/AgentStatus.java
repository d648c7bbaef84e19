package dev.weft.bgp.agent;

import dev.weft.bgp.fib.FibStatus;
import dev.weft.bgp.fsm.PeerStatus;

import java.util.List;

/**
 * A snapshot of the agent for status output.
 *
 * @param peers           every configured peer's session
 * @param ipv4Prefixes    prefixes in the IPv4 Loc-RIB
 * @param ipv6Prefixes    prefixes in the IPv6 Loc-RIB
 * @param fib             kernel route counts; null when the agent installs nothing (a pure route reflector)
 * @param restarted       this start found routes of a previous run in the kernel (the GR R bit)
 * @param initialSyncDone every GR peer sent End-of-RIB (or the deferral timer fired): adopted routes were reconciled
 */
public record AgentStatus(List<PeerStatus> peers, int ipv4Prefixes, int ipv6Prefixes, FibStatus fib, boolean restarted,
                          boolean initialSyncDone) {
    public AgentStatus {
        peers = List.copyOf(peers);
    }
}
