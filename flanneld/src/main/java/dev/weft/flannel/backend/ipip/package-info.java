/**
 * The bgp backend's IPIP data path in user space, for kernels without the ipip driver: a TUN device
 * named {@code tunl0} takes the routes {@code <pod subnet> via <node> dev tunl0 onlink}, and weftd
 * moves its packets to and from a raw IPv4 socket of protocol 4 in the kernel ipip device's wire
 * format (RFC 2003), so userspace and kernel nodes interoperate.
 */
package dev.weft.flannel.backend.ipip;
