package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What releasing a gone node's blocks did ({@link BlockAllocator#releaseBlocksOf(String, String, java.util.function.Predicate)}).
 *
 * @param released the blocks deleted (others may claim them now)
 * @param kept     the node's blocks that stay because addresses in them are in use → how many, in address order
 */
public record GoneNodeRelease(List<Cidr> released, Map<Cidr, Integer> kept) {
    public GoneNodeRelease {
        released = List.copyOf(released);
        kept = Collections.unmodifiableMap(new TreeMap<>(kept));
    }
}
