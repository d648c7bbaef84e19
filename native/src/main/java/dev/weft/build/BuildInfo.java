package dev.weft.build;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The build this code came from: the Maven project version and the git commit it was built at,
 * written into {@code build.properties} next to this class when the native module is built (see
 * its pom). Every executable (weftd, the CNI plugins, weftctl) reports the same pair, and weftd
 * exports it as {@code weft_build_info}. A build from a tree without git says commit "unknown".
 */
public final class BuildInfo {
    public static final String UNKNOWN = "unknown";
    private static final BuildInfo CURRENT = load();

    private final String version;
    private final String commit;

    private BuildInfo(String version, String commit) {
        this.version = version;
        this.commit = commit;
    }

    /** The pair of this build. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** The Maven project version, e.g. "0.1.0-SNAPSHOT". */
    public String version() {
        return version;
    }

    /** The abbreviated git commit (12 hex digits), or "unknown". */
    public String commit() {
        return commit;
    }

    /** "NAME 0.1.0-SNAPSHOT (commit 0123456789ab)": the line every --version prints. */
    public String describe(String name) {
        return name + " " + version + " (commit " + commit + ")";
    }

    private static BuildInfo load() {
        Properties p = new Properties();
        // a fixed resource of this jar, a few dozen bytes: no size bound needed beyond the class path's own
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // reported as unknown below
        }
        return new BuildInfo(clean(p.getProperty("version")), clean(p.getProperty("commit")));
    }

    /** An unfilled placeholder (a build that skipped the generating step) counts as unknown. */
    private static String clean(String v) {
        return v == null || v.isBlank() || v.contains("${") ? UNKNOWN : v.strip();
    }
}
