/**
 * The vxlan backend, wire- and kernel-compatible with flannel's: device {@code flannel.<VNI>}
 * (UDP 8472 unless {@code Port} says otherwise), MTU = link MTU − 50, one permanent neighbour, FDB
 * entry and on-link route per remote node, DirectRouting for peers on the same segment.
 */
package dev.weft.flannel.backend.vxlan;
