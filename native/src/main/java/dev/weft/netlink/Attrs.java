package dev.weft.netlink;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The attributes of one message (or one nested attribute), indexed by type. Holds offsets into the
 * receive buffer, so it is valid only until the next receive; callers copy values out at once.
 * Attributes whose type is above {@link #MAX_TYPE} are ignored: none that Weft reads is that high.
 */
final class Attrs {
    static final int MAX_TYPE = 127;

    private final ByteBuffer buf;
    private final int[] offset = new int[MAX_TYPE + 1];
    private final int[] length = new int[MAX_TYPE + 1];

    private Attrs(ByteBuffer buf) {
        this.buf = buf;
    }

    /** Parses attributes in [from, to) of the buffer; a truncated attribute ends the walk. */
    static Attrs parse(ByteBuffer buf, int from, int to) {
        Attrs a = new Attrs(buf);
        java.util.Arrays.fill(a.offset, -1);
        int p = from;
        while (p + 4 <= to) {
            int len = Short.toUnsignedInt(buf.getShort(p));
            int type = Short.toUnsignedInt(buf.getShort(p + 2)) & Rt.NLA_TYPE_MASK;
            if (len < 4 || p + len > to) {
                break;
            }
            if (type <= MAX_TYPE) {
                a.offset[type] = p + 4;
                a.length[type] = len - 4;
            }
            p += (len + 3) & ~3;
        }
        return a;
    }

    boolean has(int type) {
        return type <= MAX_TYPE && offset[type] >= 0;
    }

    int length(int type) {
        return has(type) ? length[type] : -1;
    }

    /** Where the payload of {@code type} starts in the buffer, or -1; for walks over repeated attributes. */
    int offset(int type) {
        return has(type) ? offset[type] : -1;
    }

    Attrs nested(int type) {
        return has(type) ? parse(buf, offset[type], offset[type] + length[type]) : null;
    }

    int u8(int type, int dflt) {
        return has(type) && length[type] >= 1 ? Byte.toUnsignedInt(buf.get(offset[type])) : dflt;
    }

    int u16(int type, int dflt) {
        return has(type) && length[type] >= 2 ? Short.toUnsignedInt(buf.getShort(offset[type])) : dflt;
    }

    int be16(int type, int dflt) {
        if (!has(type) || length[type] < 2) {
            return dflt;
        }
        return (Byte.toUnsignedInt(buf.get(offset[type])) << 8) | Byte.toUnsignedInt(buf.get(offset[type] + 1));
    }

    int u32(int type, int dflt) {
        return has(type) && length[type] >= 4 ? buf.getInt(offset[type]) : dflt;
    }

    String string(int type) {
        if (!has(type)) {
            return null;
        }
        int n = length[type];
        byte[] b = new byte[n];
        buf.get(offset[type], b);
        int end = 0;
        while (end < n && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    IpAddress ip(int type) {
        if (!has(type) || (length[type] != 4 && length[type] != 16)) {
            return null;
        }
        byte[] b = new byte[length[type]];
        buf.get(offset[type], b);
        return IpAddress.ofBytes(b);
    }

    MacAddress mac(int type) {
        if (!has(type) || length[type] != 6) {
            return null;
        }
        byte[] b = new byte[6];
        buf.get(offset[type], b);
        return MacAddress.ofBytes(b);
    }
}
