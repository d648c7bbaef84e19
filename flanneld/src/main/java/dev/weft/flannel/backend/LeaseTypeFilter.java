package dev.weft.flannel.backend;

import dev.weft.flannel.lease.Lease;
import dev.weft.net.Cidr;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which leases a backend looks at: those of its own BackendType, and never the node's own.
 * A foreign lease is logged once per subnet and type (flannel logs it on every event).
 */
public final class LeaseTypeFilter {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseTypeFilter.class);

    /** Types are chosen by whoever writes to etcd: what is remembered for "log once" is bounded. */
    static final int REMEMBERED = 4096;

    private final String type;
    private final Set<String> warned = new HashSet<>();
    private volatile Cidr ownSubnet;

    public LeaseTypeFilter(String type) {
        this.type = type;
    }

    /** Leases for this subnet are the node's own and are skipped. */
    public void setOwnSubnet(Cidr own) {
        this.ownSubnet = own;
    }

    /** How many (subnet, type) pairs are remembered as logged. */
    synchronized int remembered() {
        return warned.size();
    }

    public synchronized boolean accepts(Lease l) {
        if (l.subnet() != null && l.subnet().equals(ownSubnet)) { // (an IPv6-only block route is never the own lease)
            return false;
        }
        String t = l.attrs().backendType();
        if (type.equals(t)) {
            return true;
        }
        if (warned.size() >= REMEMBERED) {
            warned.clear(); // some may be logged again; memory stays bounded
        }
        if (warned.add(l.anySubnet() + "/" + t)) {
            LOG.warn("ignoring non-{} subnet {} (v6 {}): type={}", type, l.subnet(), l.subnetV6(),
                    t.isEmpty() ? "(none)" : t);
        }
        return false;
    }
}
