/**
 * The BGP speaker assembled: {@link dev.weft.bgp.agent.BgpAgent} wires the sessions, one RIB thread
 * and the kernel FIB together (weftd embeds it), and {@link dev.weft.bgp.agent.Main} runs it alone as
 * {@code weft-bgp --config FILE}.
 */
package dev.weft.bgp.agent;
