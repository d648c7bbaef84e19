package dev.weft.bgp.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * UPDATE (RFC 4271 §4.3) with the revised error handling of RFC 7606. Decisions taken here:
 * <ul>
 *   <li>Session reset (thrown): withdrawn-routes or attribute-block lengths that overrun the
 *       message (3/1), unparsable withdrawn routes or NLRI (3/10), any error in MP_REACH/MP_UNREACH
 *       or an attribute overrun that cuts one (3/9, 3/1), a repeated MP attribute (3/1), an
 *       unrecognized well-known attribute (3/2).</li>
 *   <li>Attribute discard: malformed ATOMIC_AGGREGATE, AGGREGATOR, AS4_PATH, AS4_AGGREGATOR
 *       (RFC 7606 §7.6, §7.7, RFC 6793 §6), a malformed NEXT_HOP in an UPDATE without IPv4 NLRI
 *       (RFC 4760 §3); repeats of a non-MP attribute (§3 g).</li>
 *   <li>Treat-as-withdraw: everything else malformed, including bad flags (§3 c), an attribute that
 *       overruns the attribute block (§4), a missing ORIGIN/AS_PATH/NEXT_HOP where NLRI need them
 *       (§3 d), an invalid NEXT_HOP (§7.3).</li>
 * </ul>
 * AS4_PATH and AS4_AGGREGATOR from a 4-octet speaker are dropped silently (RFC 6793 §4.1); from
 * a 2-octet one they are kept, and merging them into AS_PATH (RFC 6793 §4.2.3) is the RIB's.
 * Not checked here, because it needs the session's knowledge (eBGP or iBGP, our own addresses): a
 * missing LOCAL_PREF on iBGP (treat-as-withdraw) or one received on eBGP (discard, §7.5);
 * ORIGINATOR_ID/CLUSTER_LIST from eBGP (discard, §7.9/§7.10); AS_CONFED segments from eBGP and a
 * first AS that is not the peer's (§7.2, RFC 4271 §6.3); a NEXT_HOP that is our own address.
 */
final class UpdateCodec {
    private UpdateCodec() {}

    /** Decodes the body {@code [index, end)}. */
    static DecodedUpdate decode(ByteBuf buf, int index, int end, CodecContext ctx) throws BgpWireException {
        int bodyLength = end - index;
        int withdrawnLength = buf.getUnsignedShort(index);
        if (4 + withdrawnLength > bodyLength) {
            throw malformedList("withdrawn routes length " + withdrawnLength + " overruns the UPDATE");
        }
        int attrsAt = index + 2 + withdrawnLength;
        int attrsLength = buf.getUnsignedShort(attrsAt);
        if (4 + withdrawnLength + attrsLength > bodyLength) {
            throw malformedList("path attribute length " + attrsLength + " overruns the UPDATE");
        }
        boolean addPathV4 = ctx.addPathReceive().contains(Family.IPV4_UNICAST);
        List<Nlri> withdrawn = new ArrayList<>();
        NlriCodec.decode(buf, index + 2, attrsAt, false, addPathV4, withdrawn, 10);
        int nlriAt = attrsAt + 2 + attrsLength;
        List<Nlri> nlri = new ArrayList<>();
        NlriCodec.decode(buf, nlriAt, end, false, addPathV4, nlri, 10);

        Errors errors = new Errors();
        List<PathAttribute> attrs = decodeAttributes(buf, attrsAt + 2, nlriAt, ctx, !nlri.isEmpty(), errors);
        Update update = new Update(withdrawn, attrs, nlri);
        checkMandatory(update, errors);
        return errors.list == null ? DecodedUpdate.accepted(update) : new DecodedUpdate(update, errors.action, errors.list);
    }

    /**
     * Collects RFC 7606 errors; allocates only when there is one, and keeps only the first few for
     * the log, so a message of many bad attributes costs no more than one of a few.
     */
    private static final class Errors {
        static final int KEPT = 8;
        List<UpdateError> list;
        UpdateAction action = UpdateAction.ACCEPT;

        void add(int typeCode, int subcode, UpdateAction a, String reason) {
            if (list == null) {
                list = new ArrayList<>(2);
            }
            if (list.size() < KEPT) {
                list.add(new UpdateError(typeCode, subcode, a, reason));
            }
            if (a.compareTo(action) > 0) {
                action = a;
            }
        }

        boolean has(int typeCode) {
            if (list != null) {
                for (UpdateError e : list) {
                    if (e.typeCode() == typeCode) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    private static List<PathAttribute> decodeAttributes(ByteBuf buf, int p, int end, CodecContext ctx, boolean v4Nlri,
                                                        Errors errors) throws BgpWireException {
        List<PathAttribute> attrs = new ArrayList<>();
        long[] seen = new long[4]; // type codes met so far
        while (p < end) {
            int remaining = end - p;
            int flags = buf.getUnsignedByte(p);
            boolean extended = (flags & PathAttribute.FLAG_EXTENDED_LENGTH) != 0;
            int headerLength = extended ? 4 : 3;
            if (remaining < headerLength) {
                errors.add(0, 1, UpdateAction.TREAT_AS_WITHDRAW, "truncated attribute header");
                break;
            }
            int type = buf.getUnsignedByte(p + 1);
            int len = extended ? buf.getUnsignedShort(p + 2) : buf.getUnsignedByte(p + 2);
            if (headerLength + len > remaining) {
                if (isMp(type)) {
                    throw new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, 1,
                            "attribute " + type + " of " + len + " octets overruns the attribute block");
                }
                errors.add(type, 5, UpdateAction.TREAT_AS_WITHDRAW, "length " + len + " overruns the attribute block");
                break;
            }
            int valueAt = p + headerLength;
            int attrStart = p;
            p = valueAt + len;
            if ((seen[type >>> 6] & (1L << type)) != 0) {
                if (isMp(type)) {
                    throw malformedList("repeated attribute " + type);
                }
                errors.add(type, 1, UpdateAction.ATTRIBUTE_DISCARD, "repeated; all but the first discarded");
                continue;
            }
            seen[type >>> 6] |= 1L << type;
            PathAttribute a = decodeOne(flags, type, buf, attrStart, valueAt, len, ctx, v4Nlri, errors);
            if (a != null) {
                attrs.add(a);
            }
        }
        return attrs;
    }

    private static PathAttribute decodeOne(int flags, int type, ByteBuf buf, int attrStart, int valueAt, int len,
                                           CodecContext ctx, boolean v4Nlri, Errors errors) throws BgpWireException {
        int standard = AttributeCodec.standardFlags(type);
        if (standard < 0) {
            if ((flags & PathAttribute.FLAG_OPTIONAL) == 0) {
                throw new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, 2,
                        Wire.octets(buf, attrStart, valueAt + len - attrStart), "unrecognized well-known attribute " + type);
            }
            // RFC 4271 §5: keep an unknown optional transitive attribute to pass on; drop a non-transitive one.
            return (flags & PathAttribute.FLAG_TRANSITIVE) != 0
                    ? new PathAttribute.Unknown(flags & 0xe0, type, Wire.octets(buf, valueAt, len)) : null;
        }
        int flagBits = flags & (PathAttribute.FLAG_OPTIONAL | PathAttribute.FLAG_TRANSITIVE);
        if (isMp(type)) {
            if (flagBits != standard) {
                throw new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, 4, "MP attribute " + type + " flags " + flags);
            }
            PathAttribute a = MpAttributeCodec.decode(type, flags & 0xe0, buf, valueAt, len, ctx);
            if (a instanceof PathAttribute.MpReach r && !MpAttributeCodec.hasValidNextHop(r)) {
                errors.add(type, 8, UpdateAction.TREAT_AS_WITHDRAW, "invalid next hop " + r.nextHops());
            }
            return a;
        }
        if (ctx.fourOctetAs() && (type == PathAttribute.AS4_PATH || type == PathAttribute.AS4_AGGREGATOR)) {
            return null; // RFC 6793 §4.1: between two 4-octet speakers these are to be ignored, not passed on
        }
        // RFC 4760 §3: a NEXT_HOP with no IPv4 NLRI to apply to is ignored, so a bad one costs only itself.
        UpdateAction onMalformed = type == PathAttribute.NEXT_HOP && !v4Nlri ? UpdateAction.ATTRIBUTE_DISCARD : malformedAction(type);
        if (flagBits != standard) {
            errors.add(type, 4, onMalformed, "flags " + Integer.toHexString(flags));
            return null;
        }
        try {
            return AttributeCodec.decode(type, buf, valueAt, len, ctx);
        } catch (AttributeCodec.Malformed m) {
            errors.add(type, m.subcode, onMalformed, m.getMessage());
            return null;
        }
    }

    /** RFC 7606 §7 per attribute: discard for the informational ones, treat-as-withdraw for the rest. */
    private static UpdateAction malformedAction(int type) {
        return switch (type) {
            case PathAttribute.ATOMIC_AGGREGATE, PathAttribute.AGGREGATOR, PathAttribute.AS4_PATH,
                    PathAttribute.AS4_AGGREGATOR -> UpdateAction.ATTRIBUTE_DISCARD;
            default -> UpdateAction.TREAT_AS_WITHDRAW;
        };
    }

    /** RFC 7606 §3 d: ORIGIN and AS_PATH wherever prefixes are announced, NEXT_HOP for the IPv4 NLRI field. */
    private static void checkMandatory(Update u, Errors errors) {
        boolean mpAnnounces = u.attribute(PathAttribute.MpReach.class).map(r -> !r.nlri().isEmpty()).orElse(false);
        if (u.nlri().isEmpty() && !mpAnnounces) {
            return;
        }
        // An attribute already found malformed is absent too, but its own error has been recorded.
        requirePresent(u, PathAttribute.Origin.class, PathAttribute.ORIGIN, errors);
        requirePresent(u, PathAttribute.AsPath.class, PathAttribute.AS_PATH, errors);
        if (!u.nlri().isEmpty()) {
            requirePresent(u, PathAttribute.NextHop.class, PathAttribute.NEXT_HOP, errors);
        }
    }

    private static void requirePresent(Update u, Class<? extends PathAttribute> kind, int type, Errors errors) {
        if (u.attribute(kind).isEmpty() && !errors.has(type)) {
            errors.add(type, 3, UpdateAction.TREAT_AS_WITHDRAW, "missing well-known attribute " + type);
        }
    }

    private static boolean isMp(int type) {
        return type == PathAttribute.MP_REACH_NLRI || type == PathAttribute.MP_UNREACH_NLRI;
    }

    private static BgpWireException malformedList(String why) {
        return new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, 1, why);
    }

    static void encode(Update u, CodecContext ctx, ByteBuf out) {
        boolean addPathV4 = ctx.addPathSend().contains(Family.IPV4_UNICAST);
        int withdrawnAt = out.writerIndex();
        out.writeShort(0);
        NlriCodec.encode(u.withdrawn(), addPathV4, out);
        out.setShort(withdrawnAt, out.writerIndex() - withdrawnAt - 2);
        int attrsAt = out.writerIndex();
        out.writeShort(0);
        for (PathAttribute a : u.attributes()) {
            AttributeCodec.encode(a, ctx, out);
        }
        out.setShort(attrsAt, out.writerIndex() - attrsAt - 2);
        NlriCodec.encode(u.nlri(), addPathV4, out);
    }
}
