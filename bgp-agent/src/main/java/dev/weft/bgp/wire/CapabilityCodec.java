package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Capability values (RFC 5492 and the RFCs on each {@link Capability}). A known capability whose
 * value has the wrong shape is kept as {@link Capability.Unknown}: the speaker then simply does not
 * use it, which is what RFC 5492 asks for capabilities it does not understand.
 */
final class CapabilityCodec {
    private CapabilityCodec() {}

    /** Decodes the value occupying {@code [index, index+length)} of {@code buf}. */
    static Capability decode(int code, ByteBuf buf, int index, int length) {
        Capability c = decodeKnown(code, buf, index, length);
        return c != null ? c : new Capability.Unknown(code, Wire.octets(buf, index, length));
    }

    private static Capability decodeKnown(int code, ByteBuf buf, int i, int len) {
        switch (code) {
            case 1:
                return len == 4 ? new Capability.Multiprotocol(buf.getUnsignedShort(i), buf.getUnsignedByte(i + 3)) : null;
            case 2:
            case 128:
                return len == 0 ? new Capability.RouteRefresh(code == 128) : null;
            case 5: {
                if (len == 0 || len % 6 != 0) {
                    return null;
                }
                List<Capability.ExtendedNextHop.Entry> entries = new ArrayList<>(len / 6);
                for (int p = i; p < i + len; p += 6) {
                    entries.add(new Capability.ExtendedNextHop.Entry(buf.getUnsignedShort(p), buf.getUnsignedShort(p + 2),
                            buf.getUnsignedShort(p + 4)));
                }
                return new Capability.ExtendedNextHop(entries);
            }
            case 6:
                return len == 0 ? new Capability.ExtendedMessage() : null;
            case 64: {
                if (len < 2 || (len - 2) % 4 != 0) {
                    return null;
                }
                int head = buf.getUnsignedShort(i);
                List<Capability.GracefulRestart.Entry> fams = new ArrayList<>((len - 2) / 4);
                for (int p = i + 2; p < i + len; p += 4) {
                    fams.add(new Capability.GracefulRestart.Entry(buf.getUnsignedShort(p), buf.getUnsignedByte(p + 2),
                            (buf.getUnsignedByte(p + 3) & 0x80) != 0));
                }
                return new Capability.GracefulRestart((head & 0x8000) != 0, (head & 0x4000) != 0, head & 0x0fff, fams);
            }
            case 65:
                return len == 4 ? new Capability.FourOctetAs(buf.getUnsignedInt(i)) : null;
            case 69: {
                if (len == 0 || len % 4 != 0) {
                    return null;
                }
                List<Capability.AddPath.Entry> entries = new ArrayList<>(len / 4);
                for (int p = i; p < i + len; p += 4) {
                    entries.add(new Capability.AddPath.Entry(buf.getUnsignedShort(p), buf.getUnsignedByte(p + 2),
                            buf.getUnsignedByte(p + 3)));
                }
                return new Capability.AddPath(entries);
            }
            case 70:
                return len == 0 ? new Capability.EnhancedRouteRefresh() : null;
            case 73: {
                if (len < 2) {
                    return null;
                }
                int hl = buf.getUnsignedByte(i);
                if (1 + hl + 1 > len) {
                    return null;
                }
                int dl = buf.getUnsignedByte(i + 1 + hl);
                if (1 + hl + 1 + dl != len) {
                    return null;
                }
                return new Capability.Fqdn(buf.toString(i + 1, hl, StandardCharsets.UTF_8),
                        buf.toString(i + 2 + hl, dl, StandardCharsets.UTF_8));
            }
            default:
                return null;
        }
    }

    /** Writes code, length and value. */
    static void encode(Capability c, ByteBuf out) {
        out.writeByte(c.code());
        int lengthAt = out.writerIndex();
        out.writeByte(0);
        if (c instanceof Capability.Multiprotocol m) {
            out.writeShort(m.afi()).writeByte(0).writeByte(m.safi());
        } else if (c instanceof Capability.ExtendedNextHop e) {
            for (Capability.ExtendedNextHop.Entry x : e.entries()) {
                out.writeShort(x.afi()).writeShort(x.safi()).writeShort(x.nextHopAfi());
            }
        } else if (c instanceof Capability.GracefulRestart g) {
            out.writeShort((g.restarting() ? 0x8000 : 0) | (g.notification() ? 0x4000 : 0) | (g.restartTime() & 0x0fff));
            for (Capability.GracefulRestart.Entry x : g.families()) {
                out.writeShort(x.afi()).writeByte(x.safi()).writeByte(x.forwardingPreserved() ? 0x80 : 0);
            }
        } else if (c instanceof Capability.FourOctetAs a) {
            out.writeInt((int) a.as());
        } else if (c instanceof Capability.AddPath a) {
            for (Capability.AddPath.Entry x : a.entries()) {
                out.writeShort(x.afi()).writeByte(x.safi()).writeByte(x.sendReceive());
            }
        } else if (c instanceof Capability.Fqdn f) {
            writeShortString(out, f.hostname());
            writeShortString(out, f.domain());
        } else if (c instanceof Capability.Unknown u) {
            Wire.write(out, u.value());
        }
        // RouteRefresh, ExtendedMessage, EnhancedRouteRefresh: empty value
        int length = out.writerIndex() - lengthAt - 1;
        if (length > 255) {
            throw new IllegalArgumentException("capability " + c.code() + " value of " + length + " octets exceeds 255");
        }
        out.setByte(lengthAt, length);
    }

    private static void writeShortString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) {
            throw new IllegalArgumentException("string of " + b.length + " octets exceeds 255: " + s);
        }
        out.writeByte(b.length).writeBytes(b);
    }
}
