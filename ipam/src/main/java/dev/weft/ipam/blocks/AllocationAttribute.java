package dev.weft.ipam.blocks;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Calico's per-allocation metadata, shared by every address of a block allocated with the same
 * handle and attributes: {@code {"handle_id":"k8s-pod-network.<id>","secondary":{"node":..,"pod":..}}}.
 *
 * @param handleId  the handle, or null (Calico allows none)
 * @param secondary free-form attributes in key order (Go encodes maps sorted), or null
 */
public record AllocationAttribute(String handleId, Map<String, String> secondary) {
    public AllocationAttribute {
        secondary = secondary == null ? null : Collections.unmodifiableMap(new TreeMap<>(secondary));
    }

    /** The owning node as Calico records it ({@code secondary.node}), or null. */
    public String node() {
        return secondary == null ? null : secondary.get(Attributes.NODE);
    }

    boolean sameAs(String handle, Map<String, String> attrs) {
        return Objects.equals(handleId, handle) && Objects.equals(secondary, attrs);
    }
}
