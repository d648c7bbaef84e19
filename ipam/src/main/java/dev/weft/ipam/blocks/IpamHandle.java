package dev.weft.ipam.blocks;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Calico's handle record ({@code <prefix>/handle/<id>}), the index that makes release by handle
 * cheap: how many addresses the handle holds in each block.
 *
 * @param blocks block CIDR ({@code 10.0.0.0/26}) → count, sorted as Go writes map keys
 */
public record IpamHandle(Map<String, Integer> blocks, boolean deleted) {
    public IpamHandle {
        blocks = Collections.unmodifiableMap(new TreeMap<>(blocks));
    }

    /** This handle with one more address in {@code block}. */
    IpamHandle plusOne(String block) {
        TreeMap<String, Integer> m = new TreeMap<>(blocks);
        m.merge(block, 1, Integer::sum);
        return new IpamHandle(m, deleted);
    }

    /** This handle with one address fewer in {@code block}; null when it then holds nothing (the record goes). */
    IpamHandle minusOne(String block) {
        TreeMap<String, Integer> m = new TreeMap<>(blocks);
        m.computeIfPresent(block, (k, n) -> n > 1 ? n - 1 : null);
        return m.isEmpty() ? null : new IpamHandle(m, false);
    }
}
