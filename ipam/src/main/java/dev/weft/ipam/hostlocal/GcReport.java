package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import java.util.List;

/**
 * What a GC pass did. GC keeps going past individual failures, so a report can both release
 * reservations and carry errors.
 *
 * @param released reservations deleted because no valid attachment owns them
 * @param skipped  entries left alone because they are not reservations (a name that is not an IP,
 *                 a directory, a symlink)
 * @param errors   failures (unreadable or undeletable files)
 */
public record GcReport(List<Reservation> released, List<SkippedEntry> skipped, List<String> errors) {

    public GcReport {
        released = List.copyOf(released);
        skipped = List.copyOf(skipped);
        errors = List.copyOf(errors);
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The aggregate error GC must report (code 5), or nothing when every step succeeded. */
    public void throwIfFailed() throws IpamException {
        if (!errors.isEmpty()) {
            throw new IpamException(IpamException.IO_FAILURE,
                    "host-local GC failed for " + errors.size() + " entr" + (errors.size() == 1 ? "y" : "ies"),
                    String.join("; ", errors));
        }
    }
}
