/**
 * The small key-value interface the subnet manager is written against, so the same acquisition,
 * renewal and watch logic runs on etcd ({@code subnet.etcd}) and on a local file for a single node
 * ({@code subnet.file}). It mirrors the etcd v3 features flannel uses: revisions, prefix listing,
 * a create-if-absent transaction, TTLs, and watches that resume from a revision.
 */
package dev.weft.flannel.subnet.kv;
