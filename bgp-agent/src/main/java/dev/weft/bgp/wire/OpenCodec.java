package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * OPEN (RFC 4271 §4.2, §6.2) with capabilities in optional parameters of type 2 (RFC 5492).
 * Only the checks that need no configuration are made here; peer AS (2/2) and a router id equal
 * to ours (2/3) are the session's.
 */
final class OpenCodec {
    static final int PARAM_CAPABILITIES = 2;
    private static final Octets MAX_VERSION = Octets.of(new byte[] {0, Open.VERSION});

    private OpenCodec() {}

    /** Decodes the body {@code [index, end)}. */
    static Open decode(ByteBuf buf, int index, int end) throws BgpWireException {
        int version = buf.getUnsignedByte(index);
        if (version != Open.VERSION) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 1, MAX_VERSION, "unsupported version " + version);
        }
        int as = buf.getUnsignedShort(index + 1);
        int hold = buf.getUnsignedShort(index + 3);
        if (hold == 1 || hold == 2) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 6, "unacceptable hold time " + hold);
        }
        int id = buf.getInt(index + 5);
        if (id == 0) {
            throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 3, "BGP identifier 0");
        }
        int paramsLength = buf.getUnsignedByte(index + 9);
        int p = index + 10;
        if (p + paramsLength != end) {
            throw malformed("optional parameters length " + paramsLength + " but " + (end - p) + " octets follow");
        }
        List<Capability> caps = new ArrayList<>();
        int capabilityParams = 0;
        while (p < end) {
            if (end - p < 2) {
                throw malformed("truncated optional parameter");
            }
            int type = buf.getUnsignedByte(p);
            int len = buf.getUnsignedByte(p + 1);
            p += 2;
            if (len > end - p) {
                throw malformed("optional parameter length " + len + " overruns the OPEN");
            }
            if (type != PARAM_CAPABILITIES) {
                throw new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 4, "unsupported optional parameter " + type);
            }
            capabilityParams++;
            int paramEnd = p + len;
            while (p < paramEnd) {
                if (paramEnd - p < 2) {
                    throw malformed("truncated capability");
                }
                int code = buf.getUnsignedByte(p);
                int clen = buf.getUnsignedByte(p + 1);
                p += 2;
                if (clen > paramEnd - p) {
                    throw malformed("capability " + code + " length " + clen + " overruns its parameter");
                }
                caps.add(CapabilityCodec.decode(code, buf, p, clen));
                p += clen;
            }
        }
        // Only a split that re-encoding reproduces counts as one-per-parameter, so decode(encode(o)) == o.
        return new Open(version, as, hold, id, caps, capabilityParams > 1 && caps.size() > 1);
    }

    private static BgpWireException malformed(String why) {
        return new BgpWireException(Notification.OPEN_MESSAGE_ERROR, 0, why);
    }

    static void encode(Open o, ByteBuf out) {
        out.writeByte(o.version()).writeShort(o.asField()).writeShort(o.holdTime()).writeInt(o.bgpIdentifier());
        int paramsLengthAt = out.writerIndex();
        out.writeByte(0);
        if (!o.capabilities().isEmpty()) {
            if (o.onePerParameter()) {
                for (Capability c : o.capabilities()) {
                    int at = beginParameter(out);
                    CapabilityCodec.encode(c, out);
                    endParameter(out, at);
                }
            } else {
                int at = beginParameter(out);
                for (Capability c : o.capabilities()) {
                    CapabilityCodec.encode(c, out);
                }
                endParameter(out, at);
            }
        }
        setLength(out, paramsLengthAt, "optional parameters");
    }

    private static int beginParameter(ByteBuf out) {
        out.writeByte(PARAM_CAPABILITIES);
        int at = out.writerIndex();
        out.writeByte(0);
        return at;
    }

    private static void endParameter(ByteBuf out, int lengthAt) {
        setLength(out, lengthAt, "capabilities parameter");
    }

    /** Fills the one-octet length at {@code lengthAt} with what follows it (RFC 9072's extended form is not needed). */
    private static void setLength(ByteBuf out, int lengthAt, String what) {
        int len = out.writerIndex() - lengthAt - 1;
        if (len > 255) {
            throw new IllegalArgumentException(what + " of " + len + " octets exceeds 255");
        }
        out.setByte(lengthAt, len);
    }
}
