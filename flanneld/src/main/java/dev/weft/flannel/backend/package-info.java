/**
 * Backends of the node daemon: how pod traffic crosses between nodes. {@link
 * dev.weft.flannel.backend.Backend} is the contract (prepare → acquire lease → start → handle
 * events → close, which leaves the data path up); {@link dev.weft.flannel.backend.BackendRegistry}
 * maps a net-conf Backend "Type" to a {@link dev.weft.flannel.backend.BackendFactory}. Routes
 * Weft installs carry {@link dev.weft.flannel.backend.RouteTag#PROTOCOL} so reconciliation only
 * ever removes its own.
 */
package dev.weft.flannel.backend;
