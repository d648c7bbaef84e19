package dev.weft.flannel.backend;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.libc.Linux;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A node of an {@link Underlay} as a backend sees it: its namespace, its eth0 as the external
 * interface, a state directory. Backends made here are closed with the node.
 */
public final class TestNode implements AutoCloseable {
    public final Underlay.Node node;
    public final NetNs ns;
    public final ExternalInterface ext;
    public final Path stateDir;
    private final List<Backend> backends = new ArrayList<>();

    private TestNode(Underlay.Node node, NetNs ns, ExternalInterface ext, Path stateDir) {
        this.node = node;
        this.ns = ns;
        this.ext = ext;
        this.stateDir = stateDir;
    }

    public static TestNode of(Underlay.Node node, Path stateDir) {
        NetNs ns = NetNs.open(node.path().toString());
        try (RtNetlink nl = RtNetlink.open(ns)) {
            Link eth0 = nl.requireLink(Underlay.Node.IFNAME);
            IpAddress v4 = null;
            IpAddress v6 = null;
            for (Address a : nl.addresses(Linux.AF_UNSPEC, eth0.index())) {
                if (a.isV4() && v4 == null) {
                    v4 = a.cidr().address();
                } else if (!a.isV4() && !a.cidr().address().isLinkLocalUnicast() && v6 == null) {
                    v6 = a.cidr().address();
                }
            }
            ExternalInterface ext = new ExternalInterface(eth0.name(), eth0.index(), v4, v4, eth0.mtu(), v6, v6);
            return new TestNode(node, ns, ext, stateDir);
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    public String netns() {
        return node.netns();
    }

    public BackendContext context(String netConf) {
        return BackendContext.of(NetworkConfig.parse(netConf), ext).withStateDir(stateDir).inNetns(ns)
                .withRouteCheckInterval(Duration.ofMillis(300));
    }

    public BackendContext context(String netConf, ExternalInterface e) {
        return new BackendContext(NetworkConfig.parse(netConf), e, stateDir, dev.weft.netns.Namespace.borrow(ns), Duration.ofMillis(300));
    }

    /** A backend for this net-conf, closed with the node. */
    public Backend backend(String netConf) {
        return track(BackendRegistry.standard().create(context(netConf)));
    }

    public <B extends Backend> B track(B b) {
        backends.add(b);
        return b;
    }

    /** Runs a command in the node. */
    public void sh(String... cmd) {
        node.exec(cmd);
    }

    @Override
    public void close() {
        for (Backend b : backends) {
            b.close();
        }
        backends.clear();
        ns.close();
    }
}
