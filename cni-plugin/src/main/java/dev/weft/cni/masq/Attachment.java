package dev.weft.cni.masq;

import java.util.Objects;

/**
 * One entry of a GC's {@code cni.dev/valid-attachments}. The iptables backend keys its state by
 * container ID alone; the nftables backend also by interface name.
 */
public record Attachment(String containerId, String ifname) {
    public Attachment {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
    }

    public static Attachment of(String containerId, String ifname) {
        return new Attachment(containerId, ifname);
    }
}
