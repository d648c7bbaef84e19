package dev.weft.ipam.blocks;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.List;

/**
 * A node's allocator in a process of its own, for {@link BlockClaimRaceTest}: it asks for an address
 * in an empty pool, prints {@code PENDING <block>} once phase 1 of the block claim is in etcd, and
 * then stops there until it is killed (-9). Args: etcd endpoint, key prefix, node name, pool.
 */
public final class PendingClaimChild {
    private PendingClaimChild() {
    }

    public static void main(String[] args) throws Exception {
        try (Client client = Client.builder().endpoints(args[0]).build()) {
            PoolConfig pools = new PoolConfig(List.of(new Pool(dev.weft.net.Cidr.parse(args[3]), 26)), false, 20);
            BlockAllocator a = BlockAllocator.open(client.getKVClient(), args[1], pools, args[2],
                    new BlockAllocator.Options(Duration.ofSeconds(5), 100));
            a.claimFromPoolStart(true);
            a.onClaimPhase(block -> {
                System.out.println("PENDING " + block);
                System.out.flush();
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // only kill -9 ends this process
                    }
                }
            });
            a.allocate("never", Attributes.none(), Family.V4);
        }
    }
}
