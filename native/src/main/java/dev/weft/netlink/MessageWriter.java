package dev.weft.netlink;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Appends netlink messages and their attributes to a growable native-order direct buffer. Several
 * messages may be written back to back, which is how a batch goes to the kernel in one send.
 */
final class MessageWriter {
    private ByteBuffer buf;
    private int messageStart = -1;
    private int lastStart = -1;

    MessageWriter(int initialCapacity) {
        buf = NetlinkSocket.allocate(initialCapacity);
    }

    /** Drops everything written so far. */
    void reset() {
        buf.clear();
        messageStart = -1;
        lastStart = -1;
    }

    /** Bytes written so far (all complete messages). */
    int size() {
        return buf.position();
    }

    /** The buffer, flipped for sending; the caller calls {@link #reset()} afterwards. */
    ByteBuffer flip() {
        buf.flip();
        return buf;
    }

    ByteBuffer buffer() {
        return buf;
    }

    /** Starts a message: writes the 16-byte header with a length fixed up by {@link #end()}. */
    MessageWriter begin(int type, int flags, int seq) {
        align();
        ensure(16);
        messageStart = buf.position();
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
        return this;
    }

    void end() {
        align();
        buf.putInt(messageStart, buf.position() - messageStart);
        lastStart = messageStart;
        messageStart = -1;
    }

    /** Sets {@code flags} in the header of the last complete message (e.g. NLM_F_ACK on a batch's last). */
    void addFlagsToLast(int flags) {
        if (lastStart < 0) {
            throw new IllegalStateException("no complete message");
        }
        buf.putShort(lastStart + 6, (short) (buf.getShort(lastStart + 6) | flags));
    }

    MessageWriter u8(int v) {
        ensure(1);
        buf.put((byte) v);
        return this;
    }

    MessageWriter u16(int v) {
        ensure(2);
        buf.putShort((short) v);
        return this;
    }

    MessageWriter u32(int v) {
        ensure(4);
        buf.putInt(v);
        return this;
    }

    /** struct ifinfomsg. */
    MessageWriter ifinfomsg(int family, int index, int flags, int change) {
        return u8(family).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    MessageWriter attrU8(int type, int v) {
        header(type, 1);
        buf.put((byte) v);
        align();
        return this;
    }

    MessageWriter attrU16(int type, int v) {
        header(type, 2);
        buf.putShort((short) v);
        align();
        return this;
    }

    /** A 16-bit attribute in network byte order (UDP ports). */
    MessageWriter attrBe16(int type, int v) {
        header(type, 2);
        buf.put((byte) (v >>> 8)).put((byte) v);
        align();
        return this;
    }

    MessageWriter attrU32(int type, int v) {
        header(type, 4);
        buf.putInt(v);
        align();
        return this;
    }

    MessageWriter attrFlag(int type) {
        header(type, 0);
        return this;
    }

    MessageWriter attrString(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        header(type, b.length + 1);
        buf.put(b).put((byte) 0);
        align();
        return this;
    }

    MessageWriter attrIp(int type, IpAddress ip) {
        header(type, ip.byteLength());
        ip.writeTo(buf);
        align();
        return this;
    }

    MessageWriter attrMac(int type, MacAddress mac) {
        header(type, 6);
        mac.writeTo(buf);
        align();
        return this;
    }

    /** Opens a nested attribute; pass the returned mark to {@link #nestEnd(int)}. */
    int nestStart(int type) {
        return nestStart(type, Rt.NLA_F_NESTED);
    }

    /**
     * A nest without NLA_F_NESTED, for the old attributes (IFLA_AF_SPEC) the kernel walks by hand;
     * iproute2 and the reference's netlink library send them that way.
     */
    int legacyNestStart(int type) {
        return nestStart(type, 0);
    }

    private int nestStart(int type, int flag) {
        align();
        ensure(4);
        int mark = buf.position();
        buf.putShort((short) 0).putShort((short) (type | flag));
        return mark;
    }

    /**
     * Opens a struct rtnexthop (one hop of RTA_MULTIPATH, whose length field sits where an
     * attribute's does); its attributes follow, and {@link #nestEnd(int)} closes it.
     */
    int rtnexthopStart(int flags, int hops, int ifindex) {
        align();
        ensure(8);
        int mark = buf.position();
        buf.putShort((short) 0).put((byte) flags).put((byte) hops).putInt(ifindex);
        return mark;
    }

    void nestEnd(int mark) {
        buf.putShort(mark, (short) (buf.position() - mark));
        align();
    }

    private void header(int type, int payload) {
        align();
        ensure(4 + payload + 3);
        buf.putShort((short) (4 + payload)).putShort((short) type);
    }

    private void align() {
        int pad = (4 - (buf.position() & 3)) & 3;
        ensure(pad);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buf.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(buf.capacity() * 2, buf.position() + more))
                    .order(ByteOrder.nativeOrder());
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }
}
