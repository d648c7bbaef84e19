package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a reload changes (SIGHUP, {@link BgpAgent#reconfigure}): peers added, removed and changed,
 * originated prefixes withdrawn and wanted, and the settings only a restart applies. Pure, so the
 * rule "an unchanged peer's session is never touched" (calico#12938) is decided in one place.
 *
 * @param added          peers not configured before
 * @param removed        peers no longer configured
 * @param changed        peers whose settings differ (their session restarts)
 * @param untouched      how many peers stay as they are
 * @param withdrawn      originated prefixes no longer wanted
 * @param originate      every prefix to originate, with whether it gets a blackhole
 * @param restartNeeded  settings that differ but are only read at start
 */
record ConfigDiff(List<AgentConfig.Peer> added, List<PeerKey> removed, List<AgentConfig.Peer> changed, int untouched,
                  List<Cidr> withdrawn, Map<Cidr, Boolean> originate, List<String> restartNeeded) {

    static ConfigDiff between(AgentConfig prev, Map<PeerKey, AgentConfig.Peer> current, Set<Cidr> originated,
                              AgentConfig next) {
        List<String> restart = new ArrayList<>();
        if (!prev.routerId().equals(next.routerId()) || !prev.localAs().equals(next.localAs())) {
            restart.add("routerId/localAs");
        }
        if (!prev.listen().equals(next.listen())) {
            restart.add("listen");
        }
        if (!prev.fib().equals(next.fib()) || !prev.gracefulRestart().equals(next.gracefulRestart())) {
            restart.add("fib/gracefulRestart");
        }
        if (!prev.ribConfig().equals(next.ribConfig())) {
            restart.add("ecmp/clusterId/localPref/nextHop");
        }
        Map<PeerKey, AgentConfig.Peer> wanted = new LinkedHashMap<>();
        for (AgentConfig.Peer p : next.peers()) {
            wanted.put(new PeerKey(p.ip()), p);
        }
        List<AgentConfig.Peer> added = new ArrayList<>();
        List<PeerKey> removed = new ArrayList<>();
        List<AgentConfig.Peer> changed = new ArrayList<>();
        int untouched = 0;
        for (Map.Entry<PeerKey, AgentConfig.Peer> e : current.entrySet()) {
            AgentConfig.Peer w = wanted.get(e.getKey());
            if (w == null) {
                removed.add(e.getKey());
            } else if (!w.equals(e.getValue())) {
                changed.add(w);
            } else {
                untouched++;
            }
        }
        for (Map.Entry<PeerKey, AgentConfig.Peer> e : wanted.entrySet()) {
            if (!current.containsKey(e.getKey())) {
                added.add(e.getValue());
            }
        }
        Map<Cidr, Boolean> originate = new HashMap<>();
        for (AgentConfig.Originate o : next.originate()) {
            originate.put(o.cidr(), o.blackhole());
        }
        List<Cidr> withdrawn = new ArrayList<>();
        for (Cidr c : originated) {
            if (!originate.containsKey(c)) {
                withdrawn.add(c);
            }
        }
        return new ConfigDiff(added, removed, changed, untouched, withdrawn, originate, restart);
    }

    /** One line for the log. */
    String summary() {
        String s = "peers: " + added.size() + " added, " + removed.size() + " removed, " + changed.size() + " changed, "
                + untouched + " untouched; " + originate.size() + " originated prefixes";
        return restartNeeded.isEmpty() ? s : s + "; not applied until a restart: " + String.join(", ", restartNeeded);
    }
}
