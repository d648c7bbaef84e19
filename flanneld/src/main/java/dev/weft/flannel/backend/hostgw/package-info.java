/**
 * The host-gw backend: a route per remote subnet via the remote node's PublicIP on the external
 * interface (nodes share an L2 segment), MTU = external MTU, routes put back every 10 s.
 */
package dev.weft.flannel.backend.hostgw;
