package dev.weft.flannel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.blocks.Problem;
import dev.weft.net.IpAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the node's pods from libcni's result cache, in the layout libcni writes it. */
class CniCacheTest {
    static final String ROUTED = "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s-pod-network\",\"plugins\":["
            + "{\"type\":\"weft-routed\",\"ipam\":{\"type\":\"weft-ipam\"}},{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}";
    static final String BRIDGE = "{\"cniVersion\":\"1.0.0\",\"name\":\"cbr0\",\"plugins\":["
            + "{\"type\":\"weft-bridge\",\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"10.1.0.0/24\"}}]}";

    /** One cache file as libcni writes it ({@code cachedInfo} in libcni's api.go). */
    static String entry(String conflist, String network, String containerId, String namespace, String pod, String ip) {
        String config = Base64.getEncoder().encodeToString(conflist.getBytes(StandardCharsets.UTF_8));
        return "{\"kind\":\"cniCacheV1\",\"containerId\":\"" + containerId + "\",\"config\":\"" + config + "\","
                + "\"ifName\":\"eth0\",\"networkName\":\"" + network + "\",\"netns\":\"/var/run/netns/wt-x\","
                + "\"cniArgs\":[[\"K8S_POD_NAMESPACE\",\"" + namespace + "\"],[\"K8S_POD_NAME\",\"" + pod + "\"]],"
                + "\"result\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/var/run/netns/wt-x\"}],"
                + "\"ips\":[{\"address\":\"" + ip + "/32\",\"interface\":0}]}}";
    }

    static void write(Path dir, String network, String containerId, String content) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(network + "-" + containerId + "-eth0"), content);
    }

    @Test
    void onlyWeftIpamAttachmentsArePodsAndAnUnreadableFileIsReported(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("results");
        write(dir, "k8s-pod-network", "c1", entry(ROUTED, "k8s-pod-network", "c1", "default", "web", "10.60.0.1"));
        write(dir, "cbr0", "c2", entry(BRIDGE, "cbr0", "c2", "default", "db", "10.1.0.5"));
        write(dir, "k8s-pod-network", "c3", "{\"kind\":\"cniCacheV1\",\"containerId\":\"c3\",\"config\":\"%%%\","
                + "\"ifName\":\"eth0\",\"networkName\":\"k8s-pod-network\"}");
        CniCache.Pods pods = CniCache.read(dir);
        assertTrue(pods.exists());
        assertEquals(1, pods.pods().size(), pods.toString());
        CniCache.Pod p = pods.pods().get(0);
        assertEquals("k8s-pod-network.c1", p.handle());
        assertEquals("default", p.namespace());
        assertEquals("web", p.name());
        assertEquals(Map.of("k8s-pod-network.c1", Set.of(IpAddress.parse("10.60.0.1"))), pods.byHandle());
        assertEquals(1, pods.unreadable().size());
        Problem bad = pods.unreadable().get(0);
        assertEquals(Problem.Kind.UNREADABLE_POD_RECORD, bad.kind());
        assertEquals(dir.resolve("k8s-pod-network-c3-eth0").toString(), bad.key());
        assertFalse(pods.complete());
    }

    @Test
    void aMissingCacheIsNotAnEmptyNode(@TempDir Path tmp) throws Exception {
        CniCache.Pods pods = CniCache.read(tmp.resolve("nothing"));
        assertFalse(pods.exists());
        assertFalse(pods.complete());
    }
}
