/**
 * flannel's udp backend: a TUN device ({@code flannel0}) whose IPv4 packets travel between nodes as
 * bare UDP payloads (port 8285), forwarded by a userspace data path on Netty's epoll event loop.
 * Its data-path pieces (route table, IPv4 header work, TUN reading, segmentation and coalescing,
 * counters) also serve the bgp backend's userspace IPIP ({@code dev.weft.flannel.backend.ipip}).
 */
package dev.weft.flannel.backend.udp;
