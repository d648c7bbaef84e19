/** The {@link dev.weft.flannel.subnet.kv.KvStore} over etcd v3 (jetcd), laid out exactly as flanneld uses it. */
package dev.weft.flannel.subnet.etcd;
