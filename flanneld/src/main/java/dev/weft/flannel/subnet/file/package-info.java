/**
 * A single-node {@link dev.weft.flannel.subnet.kv.KvStore} in a JSON file
 * ({@code -subnet-store file:/var/lib/weft/subnets.json}): same semantics as etcd for one process
 * (revisions, TTL expiry, watches, compaction), so the subnet manager needs no special case.
 */
package dev.weft.flannel.subnet.file;
