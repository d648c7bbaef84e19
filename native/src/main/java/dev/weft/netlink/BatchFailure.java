package dev.weft.netlink;

/**
 * One request of a batch that the kernel refused.
 *
 * @param index position of the request in the batch, from 0
 */
public record BatchFailure(int index, String description, NetlinkException error) {
}
