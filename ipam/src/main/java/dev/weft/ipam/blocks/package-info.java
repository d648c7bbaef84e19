/**
 * Cluster-wide block IPAM in etcd with Calico's data model (blocks, block affinities, handles, the
 * IPAM config) under a caller-given prefix. {@link dev.weft.ipam.blocks.BlockAllocator} is the node's
 * allocator; weftd holds one and serves the CNI plugins. Pure codecs ({@code BlockCodec},
 * {@code ValueCodec}) are apart from the etcd I/O ({@code EtcdStore}).
 */
package dev.weft.ipam.blocks;
