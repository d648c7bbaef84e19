package dev.weft.bgp.fib;

import dev.weft.fs.AtomicFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names Weft's route protocols for iproute2: {@code /etc/iproute2/rt_protos.d/weft.conf} with
 * "87 weft" (the flannel backends) and "88 weft-bgp" (this FIB), so {@code ip route} prints
 * {@code proto weft-bgp} and accepts it as a filter. The file ships in the jar
 * ({@value #RESOURCE}); the agent installs it at start.
 */
public final class RtProtos {
    /**
     * {@link #DEFAULT_DIR} as a constant: a command line can name it as its default without
     * initialising this class, whose logger would fix the logging settings before the command line
     * has set them.
     */
    public static final String DEFAULT_DIR_NAME = "/etc/iproute2/rt_protos.d";
    public static final Path DEFAULT_DIR = Path.of(DEFAULT_DIR_NAME);
    public static final String FILE_NAME = "weft.conf";
    static final String RESOURCE = "/iproute2/rt_protos.d/weft.conf";

    private static final Logger LOG = LoggerFactory.getLogger(RtProtos.class);

    private RtProtos() {
    }

    /** The file's content as shipped. */
    public static byte[] content() {
        try (InputStream in = RtProtos.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar");
            }
            return in.readNBytes(4096);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code dir/weft.conf} atomically unless it already has this content. Names are a
     * convenience, so a read-only or missing /etc is logged, not fatal. Returns whether the file
     * is in place.
     */
    public static boolean install(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        byte[] want = content();
        try {
            if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), want)) {
                return true;
            }
            Files.createDirectories(dir);
            AtomicFile.write(file, want, 0644);
            LOG.info("installed {} (ip route shows proto weft-bgp)", file);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not install {} ({}); ip route will show protocol numbers 87/88 instead of names", file, e.toString());
            return false;
        }
    }

    /** {@link #install(Path)} into {@link #DEFAULT_DIR}. */
    public static boolean install() {
        return install(DEFAULT_DIR);
    }
}
