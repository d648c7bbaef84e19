package dev.weft.cni.skel;

import dev.weft.cni.spec.CniError;
import java.io.IOException;
import java.io.InputStream;

/**
 * A plugin's stdin, bounded: a network configuration is a few kilobytes, so anything over
 * {@link #CAP} is refused after reading one byte past the cap, never drained or buffered whole.
 */
public final class Stdin {
    /** Far above any real configuration (a conflist with every plugin's options is under 100 KiB). */
    public static final int CAP = 1 << 20;

    private Stdin() {
    }

    /** At most {@link #CAP} bytes of {@code in}; a {@link CniError#DECODE_FAILURE} if there are more. */
    public static byte[] read(InputStream in) {
        byte[] b;
        try {
            b = in.readNBytes(CAP + 1);
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "error reading network configuration from stdin", e);
        }
        if (b.length > CAP) {
            throw new CniError(CniError.DECODE_FAILURE, "error parsing network configuration",
                    "stdin is larger than " + CAP + " bytes");
        }
        return b;
    }
}
