package dev.weft.ipam.hostlocal;

/**
 * A file in a store directory that is not a reservation (its name is not an IP address, or it is
 * a directory or a symlink). Weft never hands such names out, never counts them, never deletes them.
 */
public record SkippedEntry(String fileName, String reason) {
    @Override
    public String toString() {
        return fileName + ": " + reason;
    }
}
