package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weft.cni.loopback.LoopbackPlugin;
import dev.weft.cni.routed.RoutedPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Verb;
import dev.weft.ipam.hostlocal.CniArgs;
import dev.weft.cni.spec.Json;
import dev.weft.libc.Errno;
import dev.weft.netns.NamespaceGoneException;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The one rule for a pod namespace that is gone, the same in weft-bridge, weft-routed and
 * weft-loopback: ADD and CHECK fail with {@link NamespaceGoneException} (ENOENT, which the runner
 * reports as a CNI error), DEL succeeds. Called past the runner, whose own check answers first when the path is already
 * missing at start (BadInputTest, ConformanceTest); this is a namespace that vanished after it.
 */
@KernelTest
class GoneNamespaceTest {
    private static final String LOOPBACK = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtgone\",\"type\":\"weft-loopback\"}";
    private static final String ROUTED = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtgone\",\"type\":\"weft-routed\",\"mtu\":1400,"
            + "\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"10.213.51.0/24\"},"
            + "\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}}";
    private static final String BRIDGE = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtgone\",\"type\":\"weft-bridge\","
            + "\"bridge\":\"wt-gone0\",\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[],\"ips\":[]}}";

    @Test
    void addAndCheckFailWithTheTypedErrorAndDelSucceeds() throws IOException {
        String gone;
        try (TestNetns t = TestNetns.create("pod")) {
            gone = t.path().toString();
        }
        NamespaceGoneException add = assertThrows(NamespaceGoneException.class,
                () -> new BridgePlugin().add(request(Verb.ADD, gone, BRIDGE)));
        assertEquals(gone, add.path());
        assertEquals(Errno.ENOENT, add.errno());
        assertThrows(NamespaceGoneException.class, () -> new BridgePlugin().check(request(Verb.CHECK, gone, BRIDGE)));
        assertThrows(NamespaceGoneException.class, () -> new RoutedPlugin().add(request(Verb.ADD, gone, ROUTED)));
        assertThrows(NamespaceGoneException.class, () -> new LoopbackPlugin().add(request(Verb.ADD, gone, LOOPBACK)));
        assertThrows(NamespaceGoneException.class, () -> new LoopbackPlugin().check(request(Verb.CHECK, gone, LOOPBACK)));
        new LoopbackPlugin().del(request(Verb.DEL, gone, LOOPBACK));
        new LoopbackPlugin().del(request(Verb.DEL, "", LOOPBACK));
    }

    private static Request request(Verb verb, String netns, String conf) throws IOException {
        byte[] stdin = conf.getBytes(StandardCharsets.UTF_8);
        return new Request(verb, "g3", netns, "eth0", CniArgs.NONE, "", "", stdin, Json.read(stdin), "1.0.0", Map.of());
    }
}
