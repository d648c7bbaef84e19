/**
 * host-local IPAM, in process and byte-compatible with the reference plugin's store.
 *
 * <ul>
 *   <li>{@link dev.weft.ipam.hostlocal.HostLocalConfig} — the plugin stdin, parsed and validated
 *       with the reference's messages;</li>
 *   <li>{@link dev.weft.ipam.hostlocal.HostLocalAllocator} — ADD (allocate), DEL (release), CHECK,
 *       GC and STATUS;</li>
 *   <li>{@link dev.weft.ipam.hostlocal.HostLocalStore} — the on-disk format and its flock.</li>
 * </ul>
 *
 * The reference's behaviour is described in {@code shared/specs/cni.md} §3 and §7.
 */
package dev.weft.ipam.hostlocal;
