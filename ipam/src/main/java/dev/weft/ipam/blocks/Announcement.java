package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import java.util.List;

/**
 * What a node announces for its pods (bgp.md §2.3): one route per confirmed block of its own, and
 * a host route (/32, /128) per address it borrowed from another node's block.
 *
 * @param blocks   the node's confirmed blocks, in address order
 * @param borrowed the addresses it holds in other nodes' blocks, as host prefixes, in address order
 */
public record Announcement(List<Cidr> blocks, List<Cidr> borrowed) {
    public static final Announcement NONE = new Announcement(List.of(), List.of());

    public Announcement {
        blocks = List.copyOf(blocks);
        borrowed = List.copyOf(borrowed);
    }
}
