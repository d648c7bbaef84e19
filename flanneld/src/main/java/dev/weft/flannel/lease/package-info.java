/**
 * Subnet leases as flannel stores them in etcd: the key form ({@code 10.244.1.0-24}, dual-stack
 * {@code 10.12.13.0-24&fd00:12:13::-56}), the attribute JSON written byte-for-byte like flanneld,
 * validation of untrusted leases written by others, and the events a lease watcher delivers.
 */
package dev.weft.flannel.lease;
