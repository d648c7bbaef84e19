package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_INET;
import static dev.weft.libc.Linux.AF_INET6;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.nio.ByteBuffer;

/** Interface addresses (struct ifaddrmsg + IFA_*): the request body and the decoder. Pure. */
final class AddressCodec {
    /** sizeof(struct ifaddrmsg). */
    static final int HEADER = 8;

    private AddressCodec() {
    }

    static void write(MessageWriter w, Address addr) {
        IpAddress ip = addr.cidr().address();
        int len = addr.cidr().prefixLength();
        w.u8(ip.isV4() ? AF_INET : AF_INET6).u8(len).u8(addr.flags() & 0xff).u8(addr.scope()).u32(addr.index());
        w.attrIp(Rt.IFA_LOCAL, ip);
        w.attrIp(Rt.IFA_ADDRESS, ip);
        // As the reference plugins (via their netlink library) do: IPv4 gets its broadcast address.
        if (ip.isV4() && len < 31) {
            w.attrIp(Rt.IFA_BROADCAST, addr.cidr().broadcastAddress());
        }
        if (addr.flags() > 0xff) {
            w.attrU32(Rt.IFA_FLAGS, addr.flags());
        }
        if (addr.label() != null) {
            w.attrString(Rt.IFA_LABEL, addr.label());
        }
    }

    /** The body of a dump request for addresses of one family. */
    static void writeDumpRequest(MessageWriter w, int family) {
        w.u8(family).u8(0).u8(0).u8(0).u32(0);
    }

    /** An RTM_NEWADDR/RTM_DELADDR body; null for other types or a message without an address. */
    static Address decode(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWADDR && type != Rt.RTM_DELADDR) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "address");
        int prefix = Byte.toUnsignedInt(b.get(from + 1));
        int flags8 = Byte.toUnsignedInt(b.get(from + 2));
        int scope = Byte.toUnsignedInt(b.get(from + 3));
        int index = b.getInt(from + 4);
        Attrs a = Attrs.parse(b, from + HEADER, to);
        IpAddress ip = a.ip(Rt.IFA_LOCAL);
        if (ip == null) {
            ip = a.ip(Rt.IFA_ADDRESS);
        }
        if (ip == null) {
            return null;
        }
        return new Address(index, cidr(ip, prefix, "address"), scope, a.u32(Rt.IFA_FLAGS, flags8), a.string(Rt.IFA_LABEL));
    }

    /** A prefix the address cannot carry (a /40 on IPv4) is a malformed message, not a caller's bug. */
    static Cidr cidr(IpAddress ip, int prefix, String what) {
        if (prefix > ip.bitLength()) {
            throw new NetlinkDecodeException(what, "prefix length " + prefix + " for " + ip);
        }
        return Cidr.of(ip, prefix);
    }
}
