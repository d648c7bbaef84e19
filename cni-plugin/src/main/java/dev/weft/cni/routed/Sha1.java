package dev.weft.cni.routed;

/**
 * SHA-1 (FIPS 180-4 §6.1) of a short byte string, for the host veth name only (no security role).
 * Written out because the first {@code MessageDigest.getInstance} of a JVM sets up the whole JCA
 * provider framework, which costs a plugin's start tens of milliseconds; this costs microseconds.
 */
final class Sha1 {
    private Sha1() {
    }

    static byte[] digest(byte[] msg) {
        int blocks = (msg.length + 8) / 64 + 1;
        byte[] padded = new byte[blocks * 64];
        System.arraycopy(msg, 0, padded, 0, msg.length);
        padded[msg.length] = (byte) 0x80;
        long bits = (long) msg.length * 8;
        for (int i = 0; i < 8; i++) {
            padded[padded.length - 1 - i] = (byte) (bits >>> (8 * i));
        }
        int h0 = 0x67452301;
        int h1 = 0xEFCDAB89;
        int h2 = 0x98BADCFE;
        int h3 = 0x10325476;
        int h4 = 0xC3D2E1F0;
        int[] w = new int[80];
        for (int b = 0; b < blocks; b++) {
            for (int t = 0; t < 16; t++) {
                int o = b * 64 + t * 4;
                w[t] = (padded[o] & 0xff) << 24 | (padded[o + 1] & 0xff) << 16 | (padded[o + 2] & 0xff) << 8 | (padded[o + 3] & 0xff);
            }
            for (int t = 16; t < 80; t++) {
                w[t] = Integer.rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
            }
            int a = h0;
            int bb = h1;
            int c = h2;
            int d = h3;
            int e = h4;
            for (int t = 0; t < 80; t++) {
                int f;
                int k;
                if (t < 20) {
                    f = (bb & c) | (~bb & d);
                    k = 0x5A827999;
                } else if (t < 40) {
                    f = bb ^ c ^ d;
                    k = 0x6ED9EBA1;
                } else if (t < 60) {
                    f = (bb & c) | (bb & d) | (c & d);
                    k = 0x8F1BBCDC;
                } else {
                    f = bb ^ c ^ d;
                    k = 0xCA62C1D6;
                }
                int temp = Integer.rotateLeft(a, 5) + f + e + k + w[t];
                e = d;
                d = c;
                c = Integer.rotateLeft(bb, 30);
                bb = a;
                a = temp;
            }
            h0 += a;
            h1 += bb;
            h2 += c;
            h3 += d;
            h4 += e;
        }
        byte[] out = new byte[20];
        int[] h = {h0, h1, h2, h3, h4};
        for (int i = 0; i < 5; i++) {
            out[4 * i] = (byte) (h[i] >>> 24);
            out[4 * i + 1] = (byte) (h[i] >>> 16);
            out[4 * i + 2] = (byte) (h[i] >>> 8);
            out[4 * i + 3] = (byte) h[i];
        }
        return out;
    }
}
