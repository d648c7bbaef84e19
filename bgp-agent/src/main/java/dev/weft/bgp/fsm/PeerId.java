package dev.weft.bgp.fsm;

import dev.weft.net.IpAddress;

import java.util.Objects;

/** A peer is known by its address (v4-mapped v6 addresses are unmapped, so an accept finds it). */
public record PeerId(IpAddress address) {
    public PeerId {
        Objects.requireNonNull(address, "address");
        address = address.unmap();
    }

    public static PeerId of(String address) {
        return new PeerId(IpAddress.parse(address));
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
