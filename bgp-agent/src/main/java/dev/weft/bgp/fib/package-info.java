/**
 * The BGP speaker's kernel FIB: learned best paths and originated blocks become kernel routes of
 * Weft's own protocol (88, {@code proto weft-bgp}), programmed in batches with replace semantics,
 * adopted across restarts and swept after the initial sync. Entry point: {@link dev.weft.bgp.fib.KernelFib}.
 */
package dev.weft.bgp.fib;
