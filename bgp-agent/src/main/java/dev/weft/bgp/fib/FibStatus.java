package dev.weft.bgp.fib;

/**
 * Counts for status and metrics.
 *
 * @param desired     prefixes the FIB wants programmed (learned and originated)
 * @param installed   Weft-BGP routes it believes the kernel holds (desired or still stale)
 * @param stale       routes adopted at start that no one has re-announced yet
 * @param unreachable desired prefixes waiting for their next hop
 * @param conflicts   desired prefixes held by another protocol's route
 * @param failed      desired prefixes the kernel refused for another reason
 */
public record FibStatus(int desired, int installed, int stale, int unreachable, int conflicts, int failed) {
}
