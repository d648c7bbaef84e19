/**
 * BGP sessions: one {@link dev.weft.bgp.fsm.PeerFsm} per configured peer (RFC 4271 §8), pure and
 * driven by events, and the Netty epoll transport ({@link dev.weft.bgp.fsm.Sessions}) that runs
 * them on I/O threads of their own, so keepalives never wait behind route processing.
 */
package dev.weft.bgp.fsm;
