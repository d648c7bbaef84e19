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

    public synchronized boolean accepts(Lease l) {
        if (l.subnet().equals(ownSubnet)) {
            return false;
        }
        String t = l.attrs().backendType();
        if (type.equals(t)) {
            return true;
        }
        if (warned.add(l.subnet() + "/" + t)) {
            LOG.warn("ignoring non-{} subnet {} (v6 {}): type={}", type, l.subnet(), l.subnetV6(),
                    t.isEmpty() ? "(none)" : t);
        }
        return false;
    }
}
