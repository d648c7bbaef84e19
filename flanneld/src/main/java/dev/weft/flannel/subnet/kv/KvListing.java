package dev.weft.flannel.subnet.kv;

import java.util.List;

/**
 * The keys under a prefix at one store revision; a watch from {@code revision + 1} sees every change after it.
 *
 * @param entries  in key order
 * @param revision the store's revision when the listing was taken
 */
public record KvListing(List<KvEntry> entries, long revision) {
    public KvListing {
        entries = List.copyOf(entries);
    }
}
