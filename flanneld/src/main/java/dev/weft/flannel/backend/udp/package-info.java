/**
 * flannel's udp backend: a TUN device ({@code flannel0}) whose IPv4 packets travel between nodes as
 * bare UDP payloads (port 8285), forwarded by a userspace data path on Netty's epoll event loop.
 */
package dev.weft.flannel.backend.udp;
