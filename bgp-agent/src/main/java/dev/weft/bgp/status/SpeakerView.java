package dev.weft.bgp.status;

import dev.weft.bgp.wire.Family;
import java.util.Map;

/**
 * The speaker itself.
 *
 * @param routerId     dotted quad
 * @param locRibRoutes prefixes in the Loc-RIB per family
 * @param fibRoutes    routes this speaker has installed in the kernel
 */
public record SpeakerView(String routerId, long localAs, String version, Map<Family, Long> locRibRoutes,
                          long fibRoutes) {
    public SpeakerView {
        locRibRoutes = Map.copyOf(locRibRoutes);
    }
}
