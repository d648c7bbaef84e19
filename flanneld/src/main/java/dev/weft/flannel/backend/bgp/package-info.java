/**
 * weftd's {@code bgp} backend: Calico's routing on flannel's leases. The node keeps its subnet
 * lease as with every backend ({@code BackendType:"bgp"}, BackendData {@link
 * dev.weft.flannel.backend.bgp.BgpLeaseData}), the embedded bgp-agent announces that subnet to a
 * mesh computed from the leases (or, with {@code RouteReflector}, to the reflector nodes the leases'
 * {@code NodeName} identify; plus configured external peers), and learned routes are shaped
 * per encapsulation ({@link dev.weft.flannel.backend.bgp.CalicoRouteShapes}): {@code via <node> dev
 * <ext>}, {@code via <node> dev tunl0 onlink}, or the vxlan backend's device for Encap VXLAN.
 */
package dev.weft.flannel.backend.bgp;
