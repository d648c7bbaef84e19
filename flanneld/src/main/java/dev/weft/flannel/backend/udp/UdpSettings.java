package dev.weft.flannel.backend.udp;

/**
 * The node's own settings for the udp data path, from weftd's flags (not from net-conf, which is
 * the same for every node): they tune or harden this node only, and no other backend has them.
 *
 * @param offloads         use the kernel's segmentation and checksum offloads (TUN TSO/USO, UDP GSO
 *                         and GRO) where it has them; false forces one packet per syscall
 * @param dataPathThreads  event loops: 1 carries both directions, 2 gives each its own; 0 picks 2
 *                         on a machine with several CPUs
 * @param acceptAnySource  accept datagrams from any sender with any inner addresses, as flannel
 *                         does; by default only a lease holder's datagrams, from its own subnet to
 *                         this node's, are written to the TUN
 */
public record UdpSettings(boolean offloads, int dataPathThreads, boolean acceptAnySource) {
    /** One loop per direction is all the data path splits into; 0 means "pick". */
    public static final int MAX_DATA_PATH_THREADS = 2;
    /** Offloads on, threads picked for the machine, datagrams checked. */
    public static final UdpSettings DEFAULT = new UdpSettings(true, 0, false);

    public UdpSettings {
        if (dataPathThreads < 0 || dataPathThreads > MAX_DATA_PATH_THREADS) {
            throw new IllegalArgumentException("data path threads must be 0 (auto), 1 or 2: " + dataPathThreads);
        }
    }

    /** The event loops to run: {@link #dataPathThreads()}, with 0 resolved for this machine. */
    public int resolvedThreads() {
        return dataPathThreads != 0 ? dataPathThreads : Runtime.getRuntime().availableProcessors() > 1 ? MAX_DATA_PATH_THREADS : 1;
    }

    public UdpSettings withOffloads(boolean on) {
        return new UdpSettings(on, dataPathThreads, acceptAnySource);
    }

    public UdpSettings withThreads(int n) {
        return new UdpSettings(offloads, n, acceptAnySource);
    }

    public UdpSettings withAcceptAnySource(boolean on) {
        return new UdpSettings(offloads, dataPathThreads, on);
    }
}
