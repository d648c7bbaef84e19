package dev.weft.flannel.backend.vxlan;

import dev.weft.net.MacAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each vxlan device's MAC in {@code <stateDir>/<device>.mac} (one line, e.g.
 * {@code 0a:58:0a:f4:01:00}), so a restarted daemon, or one whose device was deleted, publishes the
 * same VtepMAC and peers' FDB and neighbour entries stay valid. Written atomically (temp + rename).
 */
final class MacStore {
    private static final Logger LOG = LoggerFactory.getLogger(MacStore.class);

    private final Path dir;

    MacStore(Path dir) {
        this.dir = dir;
    }

    Path file(String device) {
        return dir.resolve(device + ".mac");
    }

    /** The saved MAC, or empty when there is none or it is unusable (logged). */
    Optional<MacAddress> load(String device) {
        Path f = file(device);
        try {
            String s = Files.readString(f, StandardCharsets.US_ASCII).strip();
            MacAddress m = MacAddress.parse(s);
            if (m.isMulticast() || m.toLong() == 0) {
                LOG.warn("ignoring {}: {} is not a unicast MAC", f, m);
                return Optional.empty();
            }
            return Optional.of(m);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("ignoring unreadable VTEP MAC file {}: {}", f, e.getMessage());
            return Optional.empty();
        }
    }

    /** Saves the MAC; a failure is logged, not thrown: the device keeps working, only a later restart may pick a new MAC. */
    void save(String device, MacAddress mac) {
        Path f = file(device);
        try {
            if (load(device).filter(mac::equals).isPresent()) {
                return;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + device + ".mac", ".tmp");
            try {
                Files.writeString(tmp, mac + "\n", StandardCharsets.US_ASCII);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("could not save the VTEP MAC of {} to {}: {}", device, f, e.toString());
        }
    }
}
