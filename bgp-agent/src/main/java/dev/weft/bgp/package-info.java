/** The BGP speaker: wire codec, peer state machine, RIB and kernel route programming. Not written yet. */
package dev.weft.bgp;
