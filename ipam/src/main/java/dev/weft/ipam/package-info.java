/**
 * Address management. {@link dev.weft.ipam.IpamException} is the error every allocator raises: it
 * carries the CNI error code a plugin prints. The host-local allocator, byte-compatible with the
 * reference plugin's store, lives in {@link dev.weft.ipam.hostlocal}.
 */
package dev.weft.ipam;
