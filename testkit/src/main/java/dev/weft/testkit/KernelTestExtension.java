package dev.weft.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The extension behind {@link KernelTest}. */
public final class KernelTestExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KernelTestExtension.class);
    private static final String SNAPSHOT = "snapshot";
    private static final String RESOURCES = "resources";

    @Override
    public void beforeAll(ExtensionContext context) {
        Tools.requireKernelTestPrerequisites();
        context.getStore(NS).put(SNAPSHOT, NetnsLeakGuard.snapshot());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        NetnsLeakGuard.Snapshot before = context.getStore(NS).remove(SNAPSHOT, NetnsLeakGuard.Snapshot.class);
        if (before != null) {
            NetnsLeakGuard.assertNoLeaks(before);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Tools.requireKernelTestPrerequisites();   // also covers method-level @KernelTest (no beforeAll then)
        context.getStore(NS).put(SNAPSHOT, NetnsLeakGuard.snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NS);
        Throwable closeFailure = closeResources(store);
        NetnsLeakGuard.Snapshot before = store.remove(SNAPSHOT, NetnsLeakGuard.Snapshot.class);
        try {
            if (before != null) {
                NetnsLeakGuard.assertNoLeaks(before);
            }
        } catch (AssertionError e) {
            if (closeFailure != null) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        if (closeFailure instanceof RuntimeException re) {
            throw re;
        }
        if (closeFailure instanceof Error err) {
            throw err;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        Class<?> t = pc.getParameter().getType();
        return pc.getDeclaringExecutable() instanceof java.lang.reflect.Method
                && (t == TestNetns.class || t == Underlay.class || t == EtcdServer.class);
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        Class<?> t = pc.getParameter().getType();
        AutoCloseable r;
        if (t == TestNetns.class) {
            r = TestNetns.create();
        } else if (t == Underlay.class) {
            r = Underlay.create();
        } else if (t == EtcdServer.class) {
            r = EtcdServer.launch();
        } else {
            throw new ParameterResolutionException("unsupported parameter type " + t);
        }
        resources(ec.getStore(NS)).add(r);
        return r;
    }

    @SuppressWarnings("unchecked")
    private static List<AutoCloseable> resources(ExtensionContext.Store store) {
        return store.getOrComputeIfAbsent(RESOURCES, k -> Collections.synchronizedList(new ArrayList<AutoCloseable>()),
                List.class);
    }

    private static Throwable closeResources(ExtensionContext.Store store) {
        List<?> rs = store.remove(RESOURCES, List.class);
        if (rs == null) {
            return null;
        }
        Throwable failure = null;
        List<?> copy = new ArrayList<>(rs);
        Collections.reverse(copy);
        for (Object o : copy) {
            try {
                ((AutoCloseable) o).close();
            } catch (Exception | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }
}
