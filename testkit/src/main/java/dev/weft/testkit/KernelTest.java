package dev.weft.testkit;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class (or method) that drives the real kernel.
 *
 * <ul>
 *   <li>Before all: fails loudly unless running as root with {@code ip}, {@code bridge} and {@code nft}
 *       installed (never skips).</li>
 *   <li>After each test (and after all): fails the test if a {@code wt-} network namespace, a root-namespace
 *       {@code wt-} link or a kit-started process (etcd) that appeared during it is still there -- after
 *       removing it. Shared fixtures therefore belong in {@code @BeforeAll}/{@code @AfterAll}, fully built
 *       there: a node a test adds to a shared {@link Underlay} must be removed by that test
 *       ({@link Underlay#removeNode}). Restarting a shared {@link EtcdServer} within a test is fine.</li>
 *   <li>Test method parameters of type {@link TestNetns}, {@link Underlay} (default settings) and
 *       {@link EtcdServer} (loopback) are created fresh and closed after the test, before the leak check.</li>
 * </ul>
 *
 * <pre>{@code
 * @KernelTest
 * class MyTest {
 *     @Test
 *     void bridgeComesUp(TestNetns ns) {
 *         ns.ip("link", "add", "br0", "type", "bridge");
 *         assertTrue(KernelState.link(ns.name(), "br0").isPresent());
 *     }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KernelTestExtension.class)
public @interface KernelTest {
}
