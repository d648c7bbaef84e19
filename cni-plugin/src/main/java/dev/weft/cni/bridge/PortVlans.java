package dev.weft.cni.bridge;

import dev.weft.cni.spec.CniError;
import dev.weft.netlink.BridgeVlan;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.RtNetlink;

/**
 * The VLANs of one bridge port, as the reference sets them: an access port (the {@code vlan} as
 * PVID, untagged on egress) or a trunk port (the {@code vlanTrunk} VLANs, tagged). What the port
 * got from the bridge on enslaving (its default PVID, normally 1) stays unless
 * {@code preserveDefaultVlan} is false.
 */
final class PortVlans {
    private PortVlans() {
    }

    static void configure(RtNetlink host, int port, String portName, int vlan, VlanTrunk trunk, boolean preserveDefaultVlan) {
        if (vlan == 0 && trunk.isEmpty()) {
            return;
        }
        try {
            if (!preserveDefaultVlan) {
                for (BridgeVlan v : host.bridgeVlans(port)) {
                    host.deleteBridgeVlan(port, v.vid(), false);
                }
            }
            if (vlan != 0) {
                host.addBridgeVlan(port, vlan, true, true, false);
            }
            for (VlanTrunk.Range r : trunk.ranges()) {
                host.addBridgeVlanRange(port, r.from(), r.to(), false, false);
            }
        } catch (NetlinkException e) {
            throw new CniError(CniError.KERNEL_FAILURE, "failed to setup vlan tag on interface \"" + portName + "\": "
                    + e.getMessage(), e.errno().name());
        }
    }
}
