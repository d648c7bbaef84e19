package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.subnet.StoreFlags;
import dev.weft.flannel.subnet.SubnetManager;
import dev.weft.flannel.subnet.SubnetManagerOptions;
import dev.weft.flannel.subnet.kv.KvStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * weftctl leases: every node's subnet lease, read from etcd (or the file store) with weftd's own
 * flags and FLANNELD_* variables, so `set -a; . /etc/default/weftd; weftctl leases` just works.
 * Only leases that weftd itself would accept are listed (the same validation).
 */
@Command(name = "leases", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Every node's subnet lease from etcd: subnet, public IP, backend, expiry and backend data.")
public final class LeasesCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    OutputFlag output = new OutputFlag();

    @Mixin
    StoreFlags store = new StoreFlags();

    @Override
    public Integer call() throws Exception {
        List<Lease> leases;
        try (KvStore kv = store.open()) {
            leases = new ArrayList<>(new SubnetManager(kv, SubnetManagerOptions.defaults().withPrefix(store.etcdPrefix)).leases());
        }
        leases.sort(Comparator.comparing(l -> l.subnet() == null ? "" : l.subnet().toString()));
        long now = System.currentTimeMillis();
        output.print(spec, () -> json(leases, now), () -> table(leases, now));
        return 0;
    }

    static String json(List<Lease> leases, long now) {
        ArrayNode all = JSON.createArrayNode();
        for (Lease l : leases) {
            LeaseAttrs a = l.attrs();
            ObjectNode n = all.addObject();
            n.put("subnet", l.subnet() == null ? null : l.subnet().toString());
            n.put("subnetV6", l.subnetV6() == null ? null : l.subnetV6().toString());
            n.put("publicIP", a.publicIp().toString());
            n.put("publicIPv6", a.publicIpV6() == null ? null : a.publicIpV6().toString());
            n.put("backendType", a.backendType());
            n.set("backendData", a.backendData());
            n.set("backendV6Data", a.backendV6Data());
            if (l.isReservation()) {
                n.putNull("expires");
                n.putNull("expiresInSeconds");
            } else {
                n.put("expires", Instant.ofEpochMilli(l.expirationEpochMillis()).toString());
                n.put("expiresInSeconds", Math.max(0, (l.expirationEpochMillis() - now) / 1000));
            }
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.set("leases", all);
        return doc.toString();
    }

    static String table(List<Lease> leases, long now) {
        TextTable t = new TextTable().row("SUBNET", "PUBLIC IP", "BACKEND", "EXPIRES IN", "BACKEND DATA");
        for (Lease l : leases) {
            LeaseAttrs a = l.attrs();
            String subnet = (l.subnet() == null ? "" : l.subnet().toString()) + (l.subnetV6() == null ? "" : (l.subnet() == null ? "" : ",") + l.subnetV6());
            String ip = a.publicIp().toString() + (a.publicIpV6() == null ? "" : "," + a.publicIpV6());
            String expires = l.isReservation() ? "never" : Durations.human((l.expirationEpochMillis() - now) / 1000);
            String data = a.backendData() == null || a.backendData().isNull() ? "-" : a.backendData().toString();
            t.row(subnet, ip, a.backendType(), expires, data);
        }
        return t.render();
    }
}
