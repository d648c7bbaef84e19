package dev.weft.ipam.hostlocal;

import dev.weft.fs.AtomicFile;
import dev.weft.ipam.IpamException;
import dev.weft.lock.Flock;
import dev.weft.net.IpAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The reference host-local's on-disk store, byte for byte, so Weft and the reference plugin can
 * share one data directory (and one node can switch between them without losing reservations):
 *
 * <pre>
 * &lt;dataDir&gt;/&lt;network&gt;/            0755
 *     lock                         empty; flock(2)ed around every read-modify-write (never through a symlink)
 *     10.1.0.5                     0600, O_EXCL; "containerID\r\nifname", no trailing newline
 *     2001:db8::5                  canonical IP text as the name
 *     last_reserved_ip.0           0600; the last IP handed out from range set 0, replaced each time
 * </pre>
 *
 * The modes are those of upstream containernetworking/plugins since it tightened them; older
 * releases (Debian's 1.1.1) wrote 0644. Either reads the other's files, as the content is what
 * matters. Methods other than {@link #lock()} expect the caller to hold the lock.
 */
public final class HostLocalStore {
    static final String LOCK_FILE = "lock";
    static final String LAST_RESERVED_PREFIX = "last_reserved_ip.";
    /** Anything larger is not a reservation (an ID is at most a few hundred bytes). */
    static final int MAX_RESERVATION_BYTES = 64 * 1024;

    private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final Set<OpenOption> CREATE_EXCLUSIVE =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private final Path dir;
    private final Consumer<String> log;

    private HostLocalStore(Path dir, Consumer<String> log) {
        this.dir = dir;
        this.log = log;
    }

    /**
     * {@code <dataDir>/<network>}. The name must be one path segment: the reference joins it
     * unchecked, but a name like {@code ../x} would put reservations outside dataDir.
     */
    public static Path networkDir(Path dataDir, String network) {
        if (network == null || network.isEmpty() || network.equals(".") || network.equals("..")
                || network.indexOf('/') >= 0 || network.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid network name \"" + network + "\" for a host-local store");
        }
        return dataDir.resolve(network);
    }

    /** Opens the store, creating its directory (0755, parents too) as the reference does. */
    public static HostLocalStore open(Path dataDir, String network, Consumer<String> log) throws IpamException {
        Path dir = checkedDir(dataDir, network);
        try {
            Files.createDirectories(dir, DIR_MODE);
        } catch (IOException e) {
            throw io("mkdir " + dir, e);
        }
        return new HostLocalStore(dir, log);
    }

    /** Opens the store only if its directory exists: releasing and checking never create anything. */
    public static Optional<HostLocalStore> openExisting(Path dataDir, String network, Consumer<String> log)
            throws IpamException {
        Path dir = checkedDir(dataDir, network);
        return Files.isDirectory(dir) ? Optional.of(new HostLocalStore(dir, log)) : Optional.empty();
    }

    private static Path checkedDir(Path dataDir, String network) throws IpamException {
        try {
            return networkDir(dataDir, network);
        } catch (IllegalArgumentException e) {
            throw new IpamException(IpamException.INVALID_CONFIG, e.getMessage());
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * Takes the store's exclusive flock, blocking. flock, not fcntl: the reference (go-filemutex)
     * uses flock and the two kinds of lock do not exclude each other.
     */
    public Flock lock() throws IpamException {
        try {
            return Flock.exclusive(dir.resolve(LOCK_FILE));
        } catch (RuntimeException e) {
            throw new IpamException(IpamException.IO_FAILURE, "failed to lock " + dir.resolve(LOCK_FILE) + ": "
                    + e.getMessage(), null, e);
        }
    }

    /** Work done while holding the store's lock. */
    @FunctionalInterface
    public interface Locked<T> {
        T run() throws IpamException;
    }

    /** Runs body under {@link #lock()}, releasing the lock however body ends. */
    public <T> T underLock(Locked<T> body) throws IpamException {
        Flock held = lock();
        try {
            return body.run();
        } finally {
            held.close();
        }
    }

    /**
     * Claims ip for (id, ifname) and records it as range set {@code rangeSet}'s last reserved IP.
     * Returns false, changing nothing, when a file for ip already exists (whatever it holds).
     */
    public boolean reserve(String containerId, String ifname, IpAddress ip, int rangeSet) throws IpamException {
        Path file = dir.resolve(ip.toString());
        SeekableByteChannel ch;
        try {
            ch = Files.newByteChannel(file, CREATE_EXCLUSIVE, FILE_MODE);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw io("open " + file, e);
        }
        try (ch) {
            writeFully(ch, Reservation.contentFor(containerId, ifname));
        } catch (IOException e) {
            deleteQuietly(file);
            throw io("write " + file, e);
        }
        Path last = dir.resolve(LAST_RESERVED_PREFIX + rangeSet);
        // Replaced, not rewritten in place (the reference truncates and writes): the same bytes for
        // either plugin to read, but a symlink planted at this predictable name is never followed.
        try {
            AtomicFile.write(last, ip.toString().getBytes(StandardCharsets.UTF_8), 0600);
        } catch (IOException e) {
            // The reference would keep the reservation and fail the ADD, leaking it; undo instead.
            deleteQuietly(file);
            throw io("write " + last, e);
        }
        return true;
    }

    /**
     * The last IP range set {@code rangeSet} handed out, if its file holds exactly an address
     * (the reference parses it without trimming). Junk only costs round-robin order once.
     */
    public Optional<IpAddress> lastReservedIp(int rangeSet) {
        Path file = dir.resolve(LAST_RESERVED_PREFIX + rangeSet);
        String text;
        try {
            text = readCapped(file, 256);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.accept("cannot read " + file + ", starting at the first address of the range set: " + e);
            return Optional.empty();
        }
        if (text == null) {
            log.accept(file + " is too large to hold an address; ignoring it");
            return Optional.empty();
        }
        try {
            return Optional.of(IpAddress.parse(text).unmap());
        } catch (IllegalArgumentException e) {
            log.accept(file + " does not hold an IP address; ignoring it (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    /** Everything in the directory, sorted by name. Unreadable files are errors, not reservations. */
    public Listing list() throws IpamException {
        List<Reservation> reservations = new ArrayList<>();
        List<SkippedEntry> skipped = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(entries::add);
        } catch (NoSuchFileException e) {
            return new Listing(reservations, skipped, errors);
        } catch (IOException e) {
            throw io("read directory " + dir, e);
        }
        // Not Comparator.comparing: its lambda is serializable, so the CDS archive cannot hold it and
        // every CNI plugin start would generate its class.
        entries.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (Path p : entries) {
            String name = p.getFileName().toString();
            if (name.equals(LOCK_FILE) || name.startsWith(LAST_RESERVED_PREFIX) || AtomicFile.targetOf(name) != null) {
                continue;
            }
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                skipped.add(new SkippedEntry(name, "not a regular file"));
                continue;
            }
            String owner;
            try {
                owner = readCapped(p, MAX_RESERVATION_BYTES);
            } catch (NoSuchFileException e) {
                continue; // released while we listed (only possible for a writer ignoring the lock)
            } catch (IOException e) {
                errors.add("read " + p + ": " + e);
                continue;
            }
            reservations.add(new Reservation(name, parseName(name), owner == null ? null : GoText.trimSpace(owner)));
        }
        return new Listing(reservations, skipped, errors);
    }

    /**
     * Removes the temp files a writer killed mid-write left behind ({@code .last_reserved_ip.N.<hex>.tmp}).
     * Call it under the lock only: every writer holds the lock while its temp file exists, so one
     * seen under the lock belongs to nobody.
     */
    public void removeCrashLeftovers() throws IpamException {
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String target = AtomicFile.targetOf(p.getFileName().toString());
                if (target != null && target.startsWith(LAST_RESERVED_PREFIX)) {
                    leftovers.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw io("read directory " + dir, e);
        }
        for (Path p : leftovers) {
            deleteQuietly(p);
        }
    }

    /** Deletes one reservation file; false if it was already gone. */
    public boolean remove(String fileName) throws IpamException {
        Path file = dir.resolve(fileName);
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw io("remove " + file, e);
        }
    }

    /**
     * Why ADD could not create files under {@code <dataDir>/<network>} now, or empty if it could:
     * the deepest existing ancestor must be a directory this process may write. Creates nothing.
     */
    public static Optional<String> unwritableReason(Path dataDir, String network) {
        Path dir = networkDir(dataDir, network).toAbsolutePath();
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return Optional.of(dir + " has no existing ancestor");
        }
        if (!Files.isDirectory(p)) {
            return Optional.of(p + " is not a directory");
        }
        // access(2): honours read-only mounts even for root, unlike a mode-bit check.
        if (!Files.isWritable(p)) {
            return Optional.of(p + " is not writable");
        }
        return Optional.empty();
    }

    /** What a directory listing found: reservations, entries that are not files, read errors. */
    public record Listing(List<Reservation> reservations, List<SkippedEntry> skipped, List<String> errors) {
        public Listing {
            reservations = List.copyOf(reservations);
            skipped = List.copyOf(skipped);
            errors = List.copyOf(errors);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static IpAddress parseName(String name) {
        try {
            return IpAddress.parse(name).unmap();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The file as UTF-8 text, or null if it is longer than max bytes. */
    private static String readCapped(Path file, int max) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(max + 1);
            return b.length > max ? null : new String(b, StandardCharsets.UTF_8);
        }
    }

    private static void writeFully(SeekableByteChannel ch, String text) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.accept("could not remove " + file + ": " + e);
        }
    }

    private static IpamException io(String what, IOException e) {
        return new IpamException(IpamException.IO_FAILURE, what + ": " + describe(e), null, e);
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
    }
}
