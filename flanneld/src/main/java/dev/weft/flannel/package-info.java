/** The node daemon weftd: subnet leases in etcd and the vxlan, host-gw and udp backends. Not written yet. */
package dev.weft.flannel;
