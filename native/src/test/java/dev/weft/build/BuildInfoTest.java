package dev.weft.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The build wrote the project version and the commit of this checkout (or "unknown" outside one).
 * The version is compared with the parent pom's own, so a release bump cannot leave it stale.
 */
class BuildInfoTest {

    @Test
    void versionIsTheProjectsAndCommitIsTheCheckouts() throws Exception {
        BuildInfo b = BuildInfo.current();
        String pom = Files.readString(Path.of("..", "pom.xml"));
        int at = pom.indexOf("<artifactId>weft-parent</artifactId>");
        int from = pom.indexOf("<version>", at) + "<version>".length();
        assertEquals(pom.substring(from, pom.indexOf("</version>", from)), b.version());

        String commit = BuildInfo.UNKNOWN;
        if (Files.exists(Path.of("..", ".git"))) {
            Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            assertTrue(git.waitFor(20, TimeUnit.SECONDS));
            commit = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, git.exitValue(), commit);
        }
        // a commit made after this module was compiled leaves the resource one behind: rebuild, then test
        assertEquals(commit, b.commit());
        assertEquals("weftd " + b.version() + " (commit " + commit + ")", b.describe("weftd"));
    }
}
