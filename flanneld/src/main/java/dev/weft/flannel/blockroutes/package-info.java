/**
 * Routes to other nodes' blocks for the backends that route subnets (host-gw, vxlan), when the
 * node is on block IPAM and leases no subnet: the IPAM tree in etcd (blocks and their confirmed
 * affinities, {@link dev.weft.flannel.blockroutes.BlockWatcher}) and the node registrations become
 * the leases those backends already program ({@link dev.weft.flannel.blockroutes.BlockLeases}): a
 * block is a remote subnet of the node it is affine to, an address a node borrowed from another
 * node's block is a /32 (/128) of the borrower; an IPv6 one is a lease with an IPv6 half only
 * (host-gw and vxlan with EnableIPv6). {@link dev.weft.flannel.blockroutes.BlockRoutes} keeps
 * that set current and hands every change to the lease event pump as a snapshot.
 */
package dev.weft.flannel.blockroutes;
