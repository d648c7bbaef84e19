package dev.weft.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reader for classic pcap files (the format tcpdump -w writes): the frames of an Ethernet
 * capture, and on top of that the IPv4/UDP view the udp backend's wire checks need.
 */
public final class Pcap {
    public static final int LINKTYPE_ETHERNET = 1;

    private Pcap() {
    }

    /** One captured frame: its bytes as captured and its length on the wire. */
    public record Frame(byte[] data, int wireLength) {
    }

    /** Every frame of an Ethernet pcap file; throws if the file is not one (or is truncated mid-header). */
    public static List<Frame> read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        if (all.length < 24) {
            throw new IllegalStateException(file + ": not a pcap file (" + all.length + " bytes)");
        }
        int magic = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IllegalStateException(file + ": bad pcap magic " + Integer.toHexString(magic));
        }
        int linktype = b.getInt(20);
        if (linktype != LINKTYPE_ETHERNET) {
            throw new IllegalStateException(file + ": link type " + linktype + ", expected Ethernet");
        }
        List<Frame> frames = new ArrayList<>();
        int pos = 24;
        while (pos + 16 <= all.length) {
            int incl = b.getInt(pos + 8);
            int orig = b.getInt(pos + 12);
            if (pos + 16 + incl > all.length) {
                break; // the writer was stopped mid-record
            }
            byte[] d = new byte[incl];
            System.arraycopy(all, pos + 16, d, 0, incl);
            frames.add(new Frame(d, orig));
            pos += 16 + incl;
        }
        return frames;
    }

    /**
     * An IPv4/UDP frame seen on the underlay: outer addresses and ports, whether the outer packet
     * is a fragment, and the UDP payload exactly as carried (offset into the frame).
     */
    public record Udp(Frame frame, String src, String dst, int srcPort, int dstPort, boolean outerFragment, int udpLength,
                      int payloadOffset, int payloadLength) {
        public byte[] payload() {
            byte[] p = new byte[payloadLength];
            System.arraycopy(frame.data(), payloadOffset, p, 0, payloadLength);
            return p;
        }
    }

    /** The frame as IPv4/UDP, or null if it is something else (ARP, another protocol, a non-first fragment). */
    public static Udp udp(Frame f) {
        byte[] d = f.data();
        if (d.length < 14 + 20 || u16(d, 12) != 0x0800) {
            return null;
        }
        int ip = 14;
        int ihl = (d[ip] & 0x0f) * 4;
        if ((d[ip] & 0xf0) != 0x40 || d[ip + 9] != 17) {
            return null;
        }
        int flagsFrag = u16(d, ip + 6);
        boolean fragment = (flagsFrag & 0x3fff) != 0; // MF or an offset
        if ((flagsFrag & 0x1fff) != 0) {
            return null;
        }
        int udp = ip + ihl;
        int udpLen = u16(d, udp + 4);
        int payload = udp + 8;
        int len = Math.min(udpLen - 8, d.length - payload);
        return new Udp(f, addr(d, ip + 12), addr(d, ip + 16), u16(d, udp), u16(d, udp + 2), fragment, udpLen, payload, len);
    }

    public static int u16(byte[] d, int off) {
        return ((d[off] & 0xff) << 8) | (d[off + 1] & 0xff);
    }

    public static String addr(byte[] d, int off) {
        return (d[off] & 0xff) + "." + (d[off + 1] & 0xff) + "." + (d[off + 2] & 0xff) + "." + (d[off + 3] & 0xff);
    }

    /** The Internet checksum over {@code len} bytes at {@code off}; 0 over a header with a correct checksum field. */
    public static int checksum(byte[] d, int off, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += u16(d, off + i);
        }
        if (i < len) {
            sum += (d[off + i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
