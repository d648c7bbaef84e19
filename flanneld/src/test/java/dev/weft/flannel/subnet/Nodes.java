package dev.weft.flannel.subnet;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.IpAddress;

/** Lease attrs of made-up nodes: node n has PublicIP 192.168.64.n and a vxlan VTEP MAC ending in n. */
final class Nodes {
    private Nodes() {
    }

    static LeaseAttrs node(int n) {
        return node(n, n);
    }

    /** Same node (PublicIP), a different VTEP MAC (e.g. after the device was recreated). */
    static LeaseAttrs node(int n, int macSuffix) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("VNI", 1);
        data.put("VtepMAC", String.format("c6:d2:32:6f:%02x:%02x", (macSuffix >> 8) & 0xff, macSuffix & 0xff));
        return LeaseAttrs.of(IpAddress.parse("192.168.64." + n), "vxlan", data);
    }

    static LeaseAttrs dualStack(int n) {
        LeaseAttrs a = node(n);
        return new LeaseAttrs(a.publicIp(), IpAddress.parse("fd00:64::" + Integer.toHexString(n)), "vxlan",
                a.backendData(), a.backendData());
    }
}
