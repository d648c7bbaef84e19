package dev.weft.tun;

import static dev.weft.libc.Linux.F_GETFL;
import static dev.weft.libc.Linux.F_SETFL;
import static dev.weft.libc.Linux.IFNAMSIZ;
import static dev.weft.libc.Linux.O_CLOEXEC;
import static dev.weft.libc.Linux.O_NONBLOCK;
import static dev.weft.libc.Linux.O_RDWR;

import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.NativeMemory;
import java.nio.charset.StandardCharsets;

/**
 * A TUN/TAP device opened through {@code /dev/net/tun}. The device exists while this fd (or
 * another queue of it) is open, unless made persistent. The data path reads and writes the raw fd;
 * this class only sets the device up. Create it inside a namespace with {@code NetNs.run}.
 */
public final class TunDevice implements AutoCloseable {
    public static final int IFF_TUN = 0x0001;
    public static final int IFF_TAP = 0x0002;
    public static final int IFF_NAPI = 0x0010;
    public static final int IFF_MULTI_QUEUE = 0x0100;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;

    /** TUNSETOFFLOAD bits (linux/if_tun.h). */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    // _IOW('T', n, int) and _IOR('T', n, unsigned int) request numbers.
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETPERSIST = 0x400454cbL;
    private static final long TUNGETFEATURES = 0x800454cfL;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final long TUNSETVNETHDRSZ = 0x400454d8L;

    private static final int IFREQ_SIZE = 40;

    private final int fd;
    private final String name;
    private final int flags;
    private volatile boolean closed;

    private TunDevice(int fd, String name, int flags) {
        this.fd = fd;
        this.name = name;
        this.flags = flags;
    }

    /**
     * Opens (creating if needed) the device {@code name} with the IFF_* {@code flags}; a name with
     * "%d" lets the kernel pick the number. Another queue of a multiqueue device is opened the same
     * way with the same name and flags.
     */
    public static TunDevice open(String name, int flags) {
        byte[] nb = name.getBytes(StandardCharsets.US_ASCII);
        if (nb.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name longer than 15 bytes: " + name);
        }
        LibC c = LibC.get();
        int fd = ErrnoException.check(c.open("/dev/net/tun", O_RDWR | O_CLOEXEC, 0), "open /dev/net/tun");
        try (NativeMemory ifr = NativeMemory.allocate(IFREQ_SIZE)) {
            ifr.put(0, nb);
            ifr.putShort(IFNAMSIZ, (short) flags);
            ErrnoException.check(c.ioctl(fd, TUNSETIFF, ifr.address()), "TUNSETIFF " + name);
            byte[] out = new byte[IFNAMSIZ];
            ifr.get(0, out);
            int end = 0;
            while (end < IFNAMSIZ && out[end] != 0) {
                end++;
            }
            return new TunDevice(fd, new String(out, 0, end, StandardCharsets.US_ASCII), flags);
        } catch (RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    /** The IFF_* flags this kernel's TUN driver supports (TUNGETFEATURES). */
    public static int supportedFeatures() {
        LibC c = LibC.get();
        int fd = ErrnoException.check(c.open("/dev/net/tun", O_RDWR | O_CLOEXEC, 0), "open /dev/net/tun");
        try (NativeMemory p = NativeMemory.allocate(4)) {
            ErrnoException.check(c.ioctl(fd, TUNGETFEATURES, p.address()), "TUNGETFEATURES");
            return p.getInt(0);
        } finally {
            c.close(fd);
        }
    }

    /** Enables offloads (TUN_F_* bits); throws EINVAL when the kernel lacks one of them. */
    public void setOffload(int tunFlags) {
        ErrnoException.check(LibC.get().ioctl(fd, TUNSETOFFLOAD, (long) tunFlags), "TUNSETOFFLOAD " + name);
    }

    /** Sets the virtio_net_hdr size (10 or 12) used with IFF_VNET_HDR. */
    public void setVnetHeaderSize(int size) {
        try (NativeMemory p = NativeMemory.allocate(4)) {
            p.putInt(0, size);
            ErrnoException.check(LibC.get().ioctl(fd, TUNSETVNETHDRSZ, p.address()), "TUNSETVNETHDRSZ " + name);
        }
    }

    /** Keeps the device after the fd closes (or lets it go again). */
    public void setPersistent(boolean on) {
        ErrnoException.check(LibC.get().ioctl(fd, TUNSETPERSIST, on ? 1L : 0L), "TUNSETPERSIST " + name);
    }

    /** Switches the fd to non-blocking mode, as an event loop needs. */
    public void setNonBlocking() {
        LibC c = LibC.get();
        int fl = ErrnoException.check(c.fcntl(fd, F_GETFL, 0), "fcntl(F_GETFL)");
        ErrnoException.check(c.fcntl(fd, F_SETFL, fl | O_NONBLOCK), "fcntl(F_SETFL)");
    }

    public int fd() {
        return fd;
    }

    /** The device name the kernel assigned. */
    public String name() {
        return name;
    }

    public int flags() {
        return flags;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.get().close(fd);
        }
    }
}
