package dev.weft.bgp.wire;

import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Path attribute values (RFC 4271 §5, 4456, 4360, 6793, 8092, 1997; MP_* in {@link MpAttributeCodec}).
 * A value of the wrong shape throws {@link Malformed}; what to do about it (RFC 7606) is the
 * caller's decision, made per type in {@link UpdateCodec}.
 */
final class AttributeCodec {
    private static final int WELL_KNOWN = PathAttribute.FLAG_TRANSITIVE;
    private static final int OPTIONAL = PathAttribute.FLAG_OPTIONAL;
    private static final int OPTIONAL_TRANSITIVE = PathAttribute.FLAG_OPTIONAL | PathAttribute.FLAG_TRANSITIVE;

    /** A malformed attribute value, with the UPDATE error subcode that names the problem. Stackless: input-driven. */
    static final class Malformed extends Exception {
        final int subcode;

        Malformed(int subcode, String message) {
            super(message, null, false, false);
            this.subcode = subcode;
        }
    }

    private AttributeCodec() {}

    /** The Optional and Transitive bits a known type must carry, or -1 for a type the speaker does not know. */
    static int standardFlags(int type) {
        return switch (type) {
            case PathAttribute.ORIGIN, PathAttribute.AS_PATH, PathAttribute.NEXT_HOP, PathAttribute.LOCAL_PREF,
                    PathAttribute.ATOMIC_AGGREGATE -> WELL_KNOWN;
            case PathAttribute.MULTI_EXIT_DISC, PathAttribute.ORIGINATOR_ID, PathAttribute.CLUSTER_LIST,
                    PathAttribute.MP_REACH_NLRI, PathAttribute.MP_UNREACH_NLRI -> OPTIONAL;
            case PathAttribute.AGGREGATOR, PathAttribute.COMMUNITIES, PathAttribute.EXTENDED_COMMUNITIES,
                    PathAttribute.AS4_PATH, PathAttribute.AS4_AGGREGATOR, PathAttribute.LARGE_COMMUNITIES -> OPTIONAL_TRANSITIVE;
            default -> -1;
        };
    }

    /** Decodes a known non-MP attribute whose value is {@code [i, i+len)}. */
    static PathAttribute decode(int type, ByteBuf buf, int i, int len, CodecContext ctx) throws Malformed {
        switch (type) {
            case PathAttribute.ORIGIN: {
                fixed(len, 1);
                int v = buf.getUnsignedByte(i);
                if (v > PathAttribute.Origin.INCOMPLETE) {
                    throw new Malformed(6, "invalid ORIGIN " + v);
                }
                return new PathAttribute.Origin(v);
            }
            case PathAttribute.AS_PATH:
                return new PathAttribute.AsPath(segments(buf, i, len, ctx.fourOctetAs() ? 4 : 2));
            case PathAttribute.NEXT_HOP: {
                fixed(len, 4);
                IpAddress a = IpAddress.ofV4(buf.getInt(i));
                if (!isValidNextHop(a)) {
                    throw new Malformed(8, "invalid NEXT_HOP " + a);
                }
                return new PathAttribute.NextHop(a);
            }
            case PathAttribute.MULTI_EXIT_DISC:
                fixed(len, 4);
                return new PathAttribute.MultiExitDisc(buf.getUnsignedInt(i));
            case PathAttribute.LOCAL_PREF:
                fixed(len, 4);
                return new PathAttribute.LocalPref(buf.getUnsignedInt(i));
            case PathAttribute.ATOMIC_AGGREGATE:
                fixed(len, 0);
                return new PathAttribute.AtomicAggregate();
            case PathAttribute.AGGREGATOR:
                if (ctx.fourOctetAs()) {
                    fixed(len, 8);
                    return new PathAttribute.Aggregator(buf.getUnsignedInt(i), IpAddress.ofV4(buf.getInt(i + 4)));
                }
                fixed(len, 6);
                return new PathAttribute.Aggregator(buf.getUnsignedShort(i), IpAddress.ofV4(buf.getInt(i + 2)));
            case PathAttribute.COMMUNITIES:
                return new PathAttribute.Communities(ints(buf, i, len));
            case PathAttribute.ORIGINATOR_ID:
                fixed(len, 4);
                return new PathAttribute.OriginatorId(buf.getInt(i));
            case PathAttribute.CLUSTER_LIST:
                return new PathAttribute.ClusterList(ints(buf, i, len));
            case PathAttribute.EXTENDED_COMMUNITIES: {
                multiple(len, 8);
                List<Long> v = new ArrayList<>(len / 8);
                for (int p = i; p < i + len; p += 8) {
                    v.add(buf.getLong(p));
                }
                return new PathAttribute.ExtendedCommunities(v);
            }
            case PathAttribute.AS4_PATH:
                return new PathAttribute.As4Path(segments(buf, i, len, 4));
            case PathAttribute.AS4_AGGREGATOR:
                fixed(len, 8);
                return new PathAttribute.As4Aggregator(buf.getUnsignedInt(i), IpAddress.ofV4(buf.getInt(i + 4)));
            case PathAttribute.LARGE_COMMUNITIES: {
                multiple(len, 12);
                List<PathAttribute.LargeCommunities.LargeCommunity> v = new ArrayList<>(len / 12);
                for (int p = i; p < i + len; p += 12) {
                    v.add(new PathAttribute.LargeCommunities.LargeCommunity(buf.getUnsignedInt(p), buf.getUnsignedInt(p + 4),
                            buf.getUnsignedInt(p + 8)));
                }
                return new PathAttribute.LargeCommunities(v);
            }
            default:
                throw new IllegalArgumentException("not a known non-MP attribute type: " + type);
        }
    }

    /** RFC 4271 §6.3 / RFC 7606 §7.3: a NEXT_HOP must be a host address: not 0/8, multicast or class E. */
    static boolean isValidNextHop(IpAddress a) {
        int first = a.toV4Int() >>> 24;
        return first != 0 && first < 224;
    }

    private static void fixed(int len, int expected) throws Malformed {
        if (len != expected) {
            throw new Malformed(5, "length " + len + ", expected " + expected);
        }
    }

    /** RFC 7606 §7.8, §7.10, §7.14, RFC 8092 §6: a list attribute must be a non-zero multiple of its item size. */
    private static void multiple(int len, int item) throws Malformed {
        if (len == 0 || len % item != 0) {
            throw new Malformed(5, "length " + len + " is not a non-zero multiple of " + item);
        }
    }

    private static List<Integer> ints(ByteBuf buf, int i, int len) throws Malformed {
        multiple(len, 4);
        List<Integer> v = new ArrayList<>(len / 4);
        for (int p = i; p < i + len; p += 4) {
            v.add(buf.getInt(p));
        }
        return v;
    }

    /** AS_PATH / AS4_PATH segments; malformed per RFC 7606 §7.2 on an unknown type, a zero count, over- or underrun. */
    private static List<AsPathSegment> segments(ByteBuf buf, int i, int len, int asnSize) throws Malformed {
        List<AsPathSegment> segs = new ArrayList<>();
        int end = i + len;
        int p = i;
        while (p < end) {
            if (end - p < 2) {
                throw new Malformed(11, "AS_PATH underrun");
            }
            int type = buf.getUnsignedByte(p);
            int count = buf.getUnsignedByte(p + 1);
            p += 2;
            if (type < AsPathSegment.AS_SET || type > AsPathSegment.AS_CONFED_SET) {
                throw new Malformed(11, "AS_PATH segment type " + type);
            }
            if (count == 0) {
                throw new Malformed(11, "AS_PATH segment of zero length");
            }
            if (count * asnSize > end - p) {
                throw new Malformed(11, "AS_PATH segment overrun");
            }
            List<Long> asns = new ArrayList<>(count);
            for (int k = 0; k < count; k++, p += asnSize) {
                asns.add(asnSize == 4 ? buf.getUnsignedInt(p) : (long) buf.getUnsignedShort(p));
            }
            segs.add(new AsPathSegment(type, asns));
        }
        return segs;
    }

    /** Writes flags, type, length and value of a known non-MP attribute. */
    static void encode(PathAttribute a, CodecContext ctx, ByteBuf out) {
        if (a instanceof PathAttribute.Unknown u) {
            int flags = u.flags() & 0xe0; // the Extended Length bit is framing, chosen by size
            if (u.value().length() > 255) {
                flags |= PathAttribute.FLAG_EXTENDED_LENGTH;
            }
            int lengthAt = header(out, flags, u.typeCode());
            Wire.write(out, u.value());
            finish(out, lengthAt, (flags & PathAttribute.FLAG_EXTENDED_LENGTH) != 0);
            return;
        }
        int type = a.typeCode();
        int flags = standardFlags(type);
        boolean alwaysExtended = type == PathAttribute.MP_REACH_NLRI; // as BIRD writes it (bgp.md §3.6)
        int lengthAt = header(out, flags | PathAttribute.FLAG_EXTENDED_LENGTH, type);
        writeValue(a, ctx, out);
        int len = out.writerIndex() - lengthAt - 2;
        if (alwaysExtended || len > 255) {
            out.setShort(lengthAt, len);
        } else {
            // Short form: drop the second length octet by moving the value one octet left.
            out.setByte(lengthAt - 2, flags);
            out.setByte(lengthAt, len);
            for (int k = 0; k < len; k++) {
                out.setByte(lengthAt + 1 + k, out.getByte(lengthAt + 2 + k));
            }
            out.writerIndex(out.writerIndex() - 1);
        }
    }

    /** Writes flags and type and reserves two length octets; returns where the length goes. */
    private static int header(ByteBuf out, int flags, int type) {
        out.writeByte(flags).writeByte(type);
        int at = out.writerIndex();
        out.writeByte(0);
        if ((flags & PathAttribute.FLAG_EXTENDED_LENGTH) != 0) {
            out.writeByte(0);
        }
        return at;
    }

    private static void finish(ByteBuf out, int lengthAt, boolean extended) {
        int len = out.writerIndex() - lengthAt - (extended ? 2 : 1);
        if (extended) {
            out.setShort(lengthAt, len);
        } else {
            out.setByte(lengthAt, len);
        }
    }

    private static void writeValue(PathAttribute a, CodecContext ctx, ByteBuf out) {
        if (a instanceof PathAttribute.Origin o) {
            out.writeByte(o.value());
        } else if (a instanceof PathAttribute.AsPath p) {
            writeSegments(p.segments(), ctx.fourOctetAs() ? 4 : 2, out);
        } else if (a instanceof PathAttribute.NextHop n) {
            out.writeInt(n.address().toV4Int());
        } else if (a instanceof PathAttribute.MultiExitDisc m) {
            out.writeInt((int) m.value());
        } else if (a instanceof PathAttribute.LocalPref l) {
            out.writeInt((int) l.value());
        } else if (a instanceof PathAttribute.Aggregator g) {
            writeAs(g.as(), ctx.fourOctetAs() ? 4 : 2, out);
            out.writeInt(g.address().toV4Int());
        } else if (a instanceof PathAttribute.Communities c) {
            c.values().forEach(out::writeInt);
        } else if (a instanceof PathAttribute.OriginatorId o) {
            out.writeInt(o.routerId());
        } else if (a instanceof PathAttribute.ClusterList c) {
            c.clusterIds().forEach(out::writeInt);
        } else if (a instanceof PathAttribute.ExtendedCommunities e) {
            e.values().forEach(out::writeLong);
        } else if (a instanceof PathAttribute.As4Path p) {
            writeSegments(p.segments(), 4, out);
        } else if (a instanceof PathAttribute.As4Aggregator g) {
            out.writeInt((int) g.as()).writeInt(g.address().toV4Int());
        } else if (a instanceof PathAttribute.LargeCommunities l) {
            for (PathAttribute.LargeCommunities.LargeCommunity c : l.values()) {
                out.writeInt((int) c.globalAdmin()).writeInt((int) c.localData1()).writeInt((int) c.localData2());
            }
        } else if (a instanceof PathAttribute.MpReach r) {
            MpAttributeCodec.writeReach(r, ctx, out);
        } else if (a instanceof PathAttribute.MpUnreach u) {
            MpAttributeCodec.writeUnreach(u, ctx, out);
        }
        // AtomicAggregate: empty value
    }

    /**
     * Segments with at most 255 ASNs each: a longer AS_SEQUENCE is split (same path), a longer set
     * cannot be (two sets count twice) and is refused.
     */
    private static void writeSegments(List<AsPathSegment> segments, int asnSize, ByteBuf out) {
        for (AsPathSegment s : segments) {
            List<Long> asns = s.asns();
            boolean sequence = s.segmentType() == AsPathSegment.AS_SEQUENCE || s.segmentType() == AsPathSegment.AS_CONFED_SEQUENCE;
            if (asns.size() > 255 && !sequence) {
                throw new IllegalArgumentException("AS set of " + asns.size() + " ASNs exceeds 255");
            }
            for (int from = 0; from < asns.size(); from += 255) {
                int to = Math.min(asns.size(), from + 255);
                out.writeByte(s.segmentType()).writeByte(to - from);
                for (int k = from; k < to; k++) {
                    writeAs(asns.get(k), asnSize, out);
                }
            }
        }
    }

    /** A 2-octet field carries AS_TRANS for an AS that does not fit (RFC 6793 §4.2.2). */
    private static void writeAs(long as, int size, ByteBuf out) {
        if (size == 4) {
            out.writeInt((int) as);
        } else {
            out.writeShort(as > 0xffff ? Open.AS_TRANS : (int) as);
        }
    }
}
