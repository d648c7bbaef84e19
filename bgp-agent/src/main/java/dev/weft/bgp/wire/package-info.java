/**
 * The BGP-4 wire format as immutable values and a pure codec: no I/O, no state beyond a
 * {@link dev.weft.bgp.wire.CodecContext}. Bad input becomes a {@link dev.weft.bgp.wire.BgpWireException}
 * carrying the NOTIFICATION to send, or, for an UPDATE whose attributes are malformed, the RFC 7606
 * outcome. The layouts are in ../shared/specs/bgp.md §1.
 */
package dev.weft.bgp.wire;
