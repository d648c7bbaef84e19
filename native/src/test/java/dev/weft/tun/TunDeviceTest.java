package dev.weft.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** TUN devices made through /dev/net/tun inside a test namespace, checked with {@code ip -j -d}. */
@KernelTest
class TunDeviceTest {

    @Test
    void tunWithVnetHeaderAndOffloadsExistsWhileOpen() {
        try (TestNetns ns = TestNetns.create(); NetNs h = NetNs.open(ns.path().toString())) {
            TunDevice tun = h.run(() -> TunDevice.open("wt-tun0", TunDevice.IFF_TUN | TunDevice.IFF_NO_PI | TunDevice.IFF_VNET_HDR));
            try {
                assertEquals("wt-tun0", tun.name());
                tun.setVnetHeaderSize(12);
                tun.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6);
                tun.setNonBlocking();
                LinkInfo l = KernelState.requireLink(ns.name(), "wt-tun0");
                assertEquals("tun", l.kind());
                JsonNode data = l.infoData();
                assertEquals("tun", data.path("type").asText());
                assertFalse(data.path("pi").asBoolean(true), "IFF_NO_PI must be set");
                assertTrue(data.path("vnet_hdr").asBoolean(false), "IFF_VNET_HDR must be set");
                assertFalse(data.path("persist").asBoolean(true));
                assertTrue(KernelState.link(null, "wt-tun0").isEmpty(), "the device must live in the test namespace");
            } finally {
                tun.close();
            }
            assertTrue(KernelState.link(ns.name(), "wt-tun0").isEmpty(), "a non-persistent TUN goes away with its fd");
        }
    }

    @Test
    void multiQueueDeviceTakesSeveralQueues() {
        try (TestNetns ns = TestNetns.create(); NetNs h = NetNs.open(ns.path().toString())) {
            int flags = TunDevice.IFF_TUN | TunDevice.IFF_NO_PI | TunDevice.IFF_MULTI_QUEUE;
            TunDevice q0 = h.run(() -> TunDevice.open("wt-mq0", flags));
            TunDevice q1 = h.run(() -> TunDevice.open("wt-mq0", flags));
            try {
                JsonNode data = KernelState.requireLink(ns.name(), "wt-mq0").infoData();
                assertTrue(data.path("multi_queue").asBoolean(false));
                assertEquals(2, data.path("numqueues").asInt());
            } finally {
                q0.close();
                q1.close();
            }
            assertTrue(KernelState.link(ns.name(), "wt-mq0").isEmpty());
        }
    }

    @Test
    void kernelNamesTheDeviceFromAPattern() {
        try (TestNetns ns = TestNetns.create(); NetNs h = NetNs.open(ns.path().toString())) {
            try (TunDevice t = h.run(() -> TunDevice.open("wt-t%d", TunDevice.IFF_TUN | TunDevice.IFF_NO_PI))) {
                assertEquals("wt-t0", t.name());
                assertTrue(KernelState.link(ns.name(), "wt-t0").isPresent());
            }
            assertTrue((TunDevice.supportedFeatures() & TunDevice.IFF_VNET_HDR) != 0);
        }
    }
}
