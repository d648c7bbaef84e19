/**
 * The node daemon weftd.
 *
 * <ul>
 *   <li>{@code config}: net-conf (flannel's network config JSON), defaults and checks.</li>
 *   <li>{@code lease}: lease keys and attrs exactly as flanneld writes them, validation of other
 *       nodes' leases, and the lease events backends consume.</li>
 *   <li>{@code subnet}: the subnet manager (acquire, renew, re-acquire, watch) over a small
 *       key-value interface, with etcd ({@code subnet.etcd}) and single-node file
 *       ({@code subnet.file}) stores.</li>
 *   <li>{@code json}: Go {@code encoding/json} reading and writing rules.</li>
 *   <li>{@code backend}: vxlan, host-gw and udp, behind one {@code Backend} contract.</li>
 *   <li>{@code rules}: the masquerade and forward rules (iptables or nftables).</li>
 *   <li>{@code daemon}: flags, wiring, subnet.env, and the health and metrics server.</li>
 * </ul>
 */
package dev.weft.flannel;
