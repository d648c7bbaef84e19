package dev.weft.netlink;

/**
 * One VLAN of a bridge port (or of the bridge itself), as {@code bridge vlan show} lists it.
 *
 * @param pvid     untagged frames arriving on the port are put in this VLAN
 * @param untagged frames of this VLAN leave the port without a tag
 */
public record BridgeVlan(int vid, boolean pvid, boolean untagged) {
}
