/**
 * Block IPAM inside weftd: the cluster-wide allocator ({@code dev.weft.ipam.blocks}) served to the
 * {@code weft-ipam} CNI plugin over a root-only Unix socket, so a pod ADD never starts an etcd
 * client (protocol: {@code dev.weft.ipam.socket}).
 *
 * <h2>The socket</h2>
 * {@code /run/weft/cni.sock} ({@code -cni-socket}), mode 0600 in a directory created 0700. A socket
 * file left by a dead weftd is replaced; one a live weftd still answers on is refused, so two
 * daemons never serve one node. Eight worker threads serve connections (concurrent requests are
 * written to etcd together); each request must arrive within ten seconds. A request that is too long (64 KiB), not JSON, or names an unknown op gets
 * an error response and the connection is closed, before anything reaches the allocator.
 *
 * <h2>etcd outages: the reserve and the journal</h2>
 * Every allocation is an etcd transaction, so without etcd there would be no ADD at all. weftd
 * therefore keeps a small reserve: while etcd answers, it allocates {@code reserve} addresses per
 * family (8 by default) in its own blocks, each to its own handle {@code weftd-reserve.<node>.<n>}.
 * They are real allocations, so no other node and no other pod can take them.
 * <ul>
 * <li>When an etcd request fails or times out, weftd goes offline: an ADD takes a reserved
 *     address, and the hand-over (reservation handle → pod handle, with the pod's attributes) is
 *     appended to the journal ({@code /var/lib/weft/ipam-journal}, rewritten whole with
 *     {@code AtomicFile}) before the answer is sent. A repeated ADD gets the same address. Once
 *     the reserve is used up, or for an ADD that would need a new block, the answer is CNI code 11
 *     ("try again later"). A DEL is journaled too (and answered with success); GC waits for etcd.</li>
 * <li>Once a second weftd tries etcd again. When it answers, the node's blocks are reloaded and
 *     the journal is replayed in order: each hand-over is one transaction
 *     ({@code BlockAllocator.transfer}: the block's attribute entry and the handle records move,
 *     guarded by both handles and the block's revision; the address never passes through the
 *     free list), each release a normal release. An entry is dropped from the journal only after
 *     etcd took it, so a crash replays at most one entry again, and replaying is idempotent (a
 *     reservation already handed over is a no-op). Then the reserve is topped up.</li>
 * <li>The journal also lists the reservations. A reservation handle found in etcd but not in the
 *     journal (weftd died between the etcd write and the journal write) is adopted at start; one the
 *     journal names but etcd no longer has is dropped. Reserves never come from a borrowed block.</li>
 * </ul>
 * Nothing is lost: an address given out offline was allocated in etcd before the outage, and
 * stays allocated (to the reservation) until the journal hands it to its pod. An ADD beyond the
 * reserve is code 11 and says why: the node's blocks are full (it needs a new block), or their free
 * addresses can only be handed out through etcd.
 *
 * <h2>Upkeep</h2>
 * Each tick also reads again the blocks the node borrowed addresses from, so an address released
 * behind weftd's back ({@code weftctl ipam release --ip}) stops being announced. On a node that
 * registers ({@code <prefix>/nodes/<name>}, the bgp backend), {@link dev.weft.flannel.ipam.GoneNodeSweep}
 * releases the blocks that hold no address at all of nodes whose registration has been gone for the
 * grace period (5 minutes), each in a compare-and-swap transaction that requires the registration to
 * be absent still. A gone node's reserve counts as use: cut off from etcd, a node hands reserved
 * addresses to pods and only journals it, so its block is kept (and listed by weftctl ipam check).
 */
package dev.weft.flannel.ipam;
