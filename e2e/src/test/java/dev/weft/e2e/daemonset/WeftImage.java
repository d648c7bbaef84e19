package dev.weft.e2e.daemonset;

import dev.weft.testkit.Cmd;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.zip.ZipFile;

/**
 * The image under test: scripts/image run on this build's dist/ (it builds nothing when the image
 * of exactly that content is there; on a fresh machine it builds the base too). Its tag and version
 * label must be the version and commit the binaries in dist/ report, read where they read it.
 */
final class WeftImage {
    /** A cold build (base from Debian's packages, then the image) took 2-4 minutes on a loaded 2-core VM. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

    private WeftImage() {
    }

    static String ensure(Path repo) throws IOException {
        String version = distVersion(repo.resolve("dist/bin/weftd"));
        String tag = "localhost/weft:" + version;
        long start = System.nanoTime();
        Cmd.Result r = Cmd.of(repo.resolve("scripts/image").toString()).timeout(BUILD_TIMEOUT).tryRun();
        if (!r.ok()) {
            throw new IllegalStateException("scripts/image failed: " + r);
        }
        System.out.printf("DaemonSetPodTest: scripts/image took %.1f s:%n%s", (System.nanoTime() - start) / 1e9, r.stdout());
        String label = Cmd.run("podman", "image", "inspect", "--format",
                "{{index .Labels \"org.opencontainers.image.version\"}}", tag).stdout().strip();
        if (!label.equals(version)) {
            throw new IllegalStateException(tag + " carries version label '" + label + "', dist/ is " + version);
        }
        return tag;
    }

    /** "0.1.0-SNAPSHOT-0123456789ab" from the build.properties inside weftd's jar (after its launcher). */
    private static String distVersion(Path weftd) throws IOException {
        Properties p = new Properties();
        try (ZipFile zip = new ZipFile(weftd.toFile());
             InputStream in = zip.getInputStream(zip.getEntry("dev/weft/build/build.properties"))) {
            p.load(in);
        }
        return p.getProperty("version") + "-" + p.getProperty("commit");
    }
}
