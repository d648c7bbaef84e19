/**
 * Node registration for block IPAM: a node that takes its pod addresses from cluster-wide blocks
 * (Calico's model, {@code dev.weft.ipam.blocks}) leases no subnet. It registers itself under
 * {@code <prefix>/nodes/<name>} instead, with the same attributes a subnet lease carries (PublicIP,
 * BackendType, BackendData: for bgp its address, AS and name), kept alive by an etcd lease renewed
 * as a subnet lease is ({@link dev.weft.flannel.nodes.NodeRegistration}); the other nodes watch the
 * registrations ({@link dev.weft.flannel.nodes.NodeWatcher}) instead of the subnet leases.
 */
package dev.weft.flannel.nodes;
