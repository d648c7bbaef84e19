package dev.weft.bench.bgp;

import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import dev.weft.testkit.bgp.BirdProtocol;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The anchor: BIRD 2 with a kernel protocol exporting every BGP route (RTPROT_BIRD = 12). */
final class BirdIngestTarget implements IngestTarget {
    private static final int RTPROT_BIRD = 12;

    private final String name;
    private final List<String> sessions = new ArrayList<>();
    private BirdPeer bird;
    private String address;

    BirdIngestTarget(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start(Underlay.Node node, long as, List<String> announcers) {
        address = node.address();
        BirdConfig cfg = BirdConfig.of(node.address(), as);
        for (int i = 0; i < announcers.size(); i++) {
            String s = "a" + i;
            sessions.add(s);
            // passive: the announcer connects, so no collision resolution blurs the start;
            // export nothing back, the target only ingests
            cfg.neighbour(BirdConfig.Neighbour.of(s, announcers.get(i)).passive().exportGroups());
        }
        bird = BirdPeer.start(node.netns(), cfg);
    }

    @Override
    public long pid() {
        return bird.pid();
    }

    @Override
    public String address() {
        return address;
    }

    @Override
    public int kernelProtocol() {
        return RTPROT_BIRD;
    }

    @Override
    public List<Instant> establishedTimes() {
        List<Instant> times = new ArrayList<>();
        for (BirdProtocol p : bird.protocols()) {
            if (sessions.contains(p.name())) {
                if (!p.established() || p.since() == null) {
                    throw new IllegalStateException("target session not Established (or no time): " + p);
                }
                times.add(p.since());
            }
        }
        return times;
    }

    @Override
    public String lateKeepalives() {
        return "n/a";
    }

    @Override
    public void close() {
        if (bird != null) {
            // SIGKILL: a clean stop would first withdraw every route from the kernel one by one;
            // deleting the namespace afterwards removes them at once
            bird.kill9();
            bird.close();
        }
    }
}
