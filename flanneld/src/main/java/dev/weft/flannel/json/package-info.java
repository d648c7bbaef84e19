/**
 * JSON the way Go's {@code encoding/json} reads and writes it, because flannel's etcd values and
 * net-conf are produced and consumed by Go: keys match case-insensitively on input, and strings
 * are escaped with Go's rules on output so our lease values are byte-identical to flanneld's.
 */
package dev.weft.flannel.json;
