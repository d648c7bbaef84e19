package dev.weft.cni.bridge;

import dev.weft.cni.spec.CniError;
import dev.weft.libc.Errno;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The pod's veth pair, made in one request from the host side: the host end {@code veth} + 8 hex
 * characters in the host namespace, the pod end created straight inside the pod's namespace, so
 * nothing ever has to be moved.
 */
final class VethPair {
    private static final int ATTEMPTS = 10;

    private VethPair() {
    }

    /** Returns the host end's name. */
    static String create(RtNetlink host, Namespace pod, BridgeConfig cfg, String ifname) {
        for (int i = 0; i < ATTEMPTS; i++) {
            String name = randomName();
            try {
                host.create(new LinkSpec.Veth(name, ifname).withMtu(cfg.mtu()).withPeerMac(cfg.mac()).withPeerInNetns(pod.fd()));
                return name;
            } catch (NetlinkException e) {
                if (e.errno() != Errno.EEXIST || host.link(name).isEmpty()) {
                    throw e; // EEXIST for the pod end (raced in), or any other failure
                }
            }
        }
        throw new CniError(CniError.INTERNAL, "failed to find a free host veth name after " + ATTEMPTS + " attempts");
    }

    /** Four random bytes as eight hex digits, like the reference (crypto/rand), straight from the kernel. */
    static String randomName() {
        // Not SecureRandom: setting up its provider costs a plugin about 10 ms of its start-up.
        byte[] b;
        try (FileInputStream in = new FileInputStream("/dev/urandom")) {
            b = in.readNBytes(4);
        } catch (IOException e) {
            throw new UncheckedIOException("reading /dev/urandom", e);
        }
        StringBuilder s = new StringBuilder("veth");
        for (byte x : b) {
            s.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return s.toString();
    }
}
