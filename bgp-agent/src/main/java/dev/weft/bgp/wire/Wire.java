package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import dev.weft.net.IpAddress;

/** Small byte helpers shared by the codecs. */
final class Wire {
    private Wire() {}

    static Octets octets(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return Octets.EMPTY;
        }
        byte[] b = new byte[length];
        buf.getBytes(index, b);
        return Octets.of(b);
    }

    static void write(ByteBuf out, Octets o) {
        for (int i = 0; i < o.length(); i++) {
            out.writeByte(o.get(i));
        }
    }

    /** An IPv4 (4 octets) or IPv6 (16 octets) address at {@code index}. */
    static IpAddress address(ByteBuf buf, int index, int length) {
        return length == 4 ? IpAddress.ofV4(buf.getInt(index)) : IpAddress.ofV6(buf.getLong(index), buf.getLong(index + 8));
    }

    static void writeAddress(ByteBuf out, IpAddress a) {
        if (a.isV4()) {
            out.writeInt(a.toV4Int());
        } else {
            out.writeBytes(a.toBytes());
        }
    }
}
