package dev.weft.e2e.daemonset;

import dev.weft.build.BuildInfo;
import dev.weft.testkit.Cmd;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The image under test: scripts/image run on this build's dist/ (it builds nothing when the image
 * of exactly that content is there; on a fresh machine it builds the base too), tagged with this
 * build's version and commit.
 */
final class WeftImage {
    /** A cold build (base from Debian's packages, then the image) took 2-4 minutes on a loaded 2-core VM. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

    private WeftImage() {
    }

    static String ensure(Path repo) {
        BuildInfo b = BuildInfo.current();
        String tag = "localhost/weft:" + b.version() + "-" + b.commit();
        long start = System.nanoTime();
        Cmd.Result r = Cmd.of(repo.resolve("scripts/image").toString()).timeout(BUILD_TIMEOUT).tryRun();
        if (!r.ok()) {
            throw new IllegalStateException("scripts/image failed: " + r);
        }
        System.out.printf("DaemonSetPodTest: scripts/image took %.1f s:%n%s", (System.nanoTime() - start) / 1e9, r.stdout());
        String label = Cmd.run("podman", "image", "inspect", "--format",
                "{{index .Labels \"org.opencontainers.image.version\"}}", tag).stdout().strip();
        if (!label.equals(b.version() + "-" + b.commit())) {
            throw new IllegalStateException(tag + " carries version label '" + label + "', this build is " + b.describe("weft"));
        }
        return tag;
    }
}
