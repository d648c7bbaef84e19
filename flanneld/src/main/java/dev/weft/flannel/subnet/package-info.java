/**
 * The subnet manager: reads the network config, acquires this node's lease (reusing the one with
 * our PublicIP, else the previous subnet, else a random free one), keeps it renewed, re-acquires
 * it if it disappears, and watches the other nodes' leases for the backend. Written against
 * {@link dev.weft.flannel.subnet.kv.KvStore}, so it runs the same on etcd and on a local file.
 */
package dev.weft.flannel.subnet;
