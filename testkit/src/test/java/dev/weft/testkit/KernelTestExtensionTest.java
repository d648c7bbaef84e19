package dev.weft.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives {@link KernelTestExtension}'s callbacks directly (with a minimal fake ExtensionContext) to prove
 * that a leaking test fails and its leak is removed, and that a clean one passes.
 */
@KernelTest
class KernelTestExtensionTest {

    /** An ExtensionContext whose only working part is a map-backed Store. */
    private static ExtensionContext fakeContext() {
        Map<Object, Object> map = new HashMap<>();
        ExtensionContext.Store store = (ExtensionContext.Store) Proxy.newProxyInstance(
                KernelTestExtensionTest.class.getClassLoader(), new Class<?>[] {ExtensionContext.Store.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "put" -> map.put(args[0], args[1]);
                    case "get" -> map.get(args[0]);
                    case "remove" -> map.remove(args[0]);
                    case "getOrComputeIfAbsent" -> {
                        @SuppressWarnings("unchecked")
                        Function<Object, Object> f = (Function<Object, Object>) args[1];
                        yield map.computeIfAbsent(args[0], f);
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (ExtensionContext) Proxy.newProxyInstance(
                KernelTestExtensionTest.class.getClassLoader(), new Class<?>[] {ExtensionContext.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("getStore")) {
                        return store;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private static ParameterContext parameterOfType(Class<?> type) throws NoSuchMethodException {
        Method m = KernelTestExtensionTest.class.getDeclaredMethod("sample", TestNetns.class, Underlay.class);
        Parameter p = m.getParameters()[type == TestNetns.class ? 0 : 1];
        return (ParameterContext) Proxy.newProxyInstance(
                KernelTestExtensionTest.class.getClassLoader(), new Class<?>[] {ParameterContext.class},
                (proxy, mm, args) -> switch (mm.getName()) {
                    case "getParameter" -> p;
                    case "getDeclaringExecutable" -> m;
                    case "getIndex" -> type == TestNetns.class ? 0 : 1;
                    default -> throw new UnsupportedOperationException(mm.getName());
                });
    }

    @SuppressWarnings("unused")
    private static void sample(TestNetns ns, Underlay ul) {
    }

    @Test
    void leakingTestFailsAndTheLeakIsRemoved() {
        KernelTestExtension ext = new KernelTestExtension();
        ExtensionContext ctx = fakeContext();
        ext.beforeEach(ctx);
        TestNetns forgotten = TestNetns.create();   // never closed by the "test"
        AssertionError e = assertThrows(AssertionError.class, () -> ext.afterEach(ctx));
        assertTrue(e.getMessage().contains(forgotten.name()), e.getMessage());
        assertFalse(NetnsLeakGuard.wtNetns().contains(forgotten.name()));
        forgotten.close();  // tolerated: already gone
    }

    @Test
    void leakedEtcdProcessIsStoppedAndReported() {
        KernelTestExtension ext = new KernelTestExtension();
        ExtensionContext ctx = fakeContext();
        ext.beforeEach(ctx);
        EtcdServer etcd = EtcdServer.launch();
        try {
            Process p = etcd.process().orElseThrow();
            AssertionError e = assertThrows(AssertionError.class, () -> ext.afterEach(ctx));
            assertTrue(e.getMessage().contains("processes"), e.getMessage());
            assertFalse(p.isAlive());
        } finally {
            etcd.close();
        }
    }

    @Test
    void restartingASharedEtcdIsNotALeak() {
        try (EtcdServer shared = EtcdServer.launch()) {   // as if from @BeforeAll
            KernelTestExtension ext = new KernelTestExtension();
            ExtensionContext ctx = fakeContext();
            ext.beforeEach(ctx);
            long pid = shared.pid();
            shared.stop();
            shared.start();
            assertTrue(pid != shared.pid());
            assertDoesNotThrow(() -> ext.afterEach(ctx));
            assertTrue(shared.isRunning());
        }
    }

    @Test
    void injectedResourcesAreClosedBeforeTheLeakCheck() throws Exception {
        KernelTestExtension ext = new KernelTestExtension();
        ExtensionContext ctx = fakeContext();
        ext.beforeEach(ctx);
        ParameterContext pNs = parameterOfType(TestNetns.class);
        ParameterContext pUl = parameterOfType(Underlay.class);
        assertTrue(ext.supportsParameter(pNs, ctx));
        TestNetns ns = (TestNetns) ext.resolveParameter(pNs, ctx);
        Underlay ul = (Underlay) ext.resolveParameter(pUl, ctx);
        ul.addNode("a");
        assertTrue(ns.exists());
        assertDoesNotThrow(() -> ext.afterEach(ctx));
        assertFalse(ns.exists());
        assertFalse(NetnsLeakGuard.wtNetns().contains(ul.netns()));
    }

    @Test
    void cleanTestPasses() {
        KernelTestExtension ext = new KernelTestExtension();
        ExtensionContext ctx = fakeContext();
        ext.beforeEach(ctx);
        try (TestNetns ns = TestNetns.create()) {
            ns.ip("link", "add", "br0", "type", "bridge");
        }
        assertDoesNotThrow(() -> ext.afterEach(ctx));
    }
}
