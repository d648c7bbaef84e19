package dev.weft.ipam.hostlocal;

import dev.weft.net.IpAddress;

/**
 * One file in a network's store directory, other than {@code lock} and {@code last_reserved_ip.*}.
 *
 * <p>The reference writes {@code containerID + "\r\n" + ifname}; before it recorded the interface
 * it wrote the container ID alone ("legacy"), and both forms are still matched. Contents are
 * compared after Go's TrimSpace, as the reference compares them.
 *
 * @param fileName the name in the directory
 * @param ip       the address the name spells, or null when the name is not an IP (not one of ours)
 * @param owner    the trimmed content, or null when the file is too large to be a reservation
 */
public record Reservation(String fileName, IpAddress ip, String owner) {

    static final String LINE_BREAK = "\r\n";

    /** The bytes (as text) a reservation for (id, ifname) holds. */
    public static String contentFor(String containerId, String ifname) {
        return GoText.trimSpace(containerId) + LINE_BREAK + ifname;
    }

    /** Whether the file names an address; only those are reservations the allocator honours. */
    public boolean isAddress() {
        return ip != null;
    }

    /** The container ID part (the whole content for a legacy file), or null for an oversized file. */
    public String containerId() {
        if (owner == null) {
            return null;
        }
        int br = owner.indexOf(LINE_BREAK);
        return br < 0 ? owner : owner.substring(0, br);
    }

    /** The interface part, or null for a legacy (ID-only) or oversized file. */
    public String ifname() {
        if (owner == null) {
            return null;
        }
        int br = owner.indexOf(LINE_BREAK);
        return br < 0 ? null : owner.substring(br + LINE_BREAK.length());
    }

    /** Written before the interface name was recorded: the content is a container ID alone. */
    public boolean isLegacy() {
        return owner != null && !owner.contains(LINE_BREAK);
    }

    /** Exactly the reference's current-format match. */
    public boolean heldBy(String containerId, String ifname) {
        return owner != null && owner.equals(contentFor(containerId, ifname));
    }

    /** The reference's fallback match for files written by older versions. */
    public boolean heldByLegacy(String containerId) {
        return owner != null && owner.equals(GoText.trimSpace(containerId));
    }
}
