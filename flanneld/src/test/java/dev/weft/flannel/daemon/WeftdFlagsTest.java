package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** weftd's -help (a description and a default on every flag) and its refusal of flannel's Kubernetes-API flags. */
class WeftdFlagsTest {

    private static Optional<String> refusal(Map<String, String> env, String... args) {
        WeftdOptions o = new WeftdOptions();
        CommandLine.ParseResult pr = new CommandLine(o).parseArgs(args);
        return KubeFlags.refusal(pr, o, env::get);
    }

    @Test
    void everyOptionHasADescriptionAndShowsItsDefault() {
        CommandLine cl = new CommandLine(new WeftdOptions());
        String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (OptionSpec opt : cl.getCommandSpec().options()) {
            String name = opt.longestName();
            assertTrue(opt.description().length > 0 && !opt.description()[0].isBlank(), name + " has no description");
            boolean noValue = opt.usageHelp() || name.endsWith("-version");
            if (noValue || name.endsWith("etcd-password")) {
                continue; // a switch without a value; the password is never echoed
            }
            // the option's block in the help: from its name to the next option
            int at = help.indexOf(name);
            int next = help.indexOf("\n  -", at + 1);
            String block = help.substring(at, next < 0 ? help.length() : next);
            assertTrue(block.contains("Default"), name + " shows no default:\n" + help);
        }
        assertTrue(help.contains("FLANNELD_"), "the help says how the environment variables work");
    }

    @Test
    void kubernetesFlagsAreRefusedFromTheCommandLineOrTheEnvironment() {
        assertTrue(refusal(Map.of()).isEmpty());
        assertTrue(refusal(Map.of(), "-kube-subnet-mgr=false").isEmpty(), "etcd mode said out loud");
        assertTrue(refusal(Map.of("FLANNELD_KUBE_SUBNET_MGR", "false")).isEmpty());
        assertEquals(Optional.of("-kube-subnet-mgr"), refusal(Map.of(), "--kube-subnet-mgr").map(l -> l.substring(7, 23)));
        assertTrue(refusal(Map.of("FLANNELD_KUBE_SUBNET_MGR", "true")).isPresent());
        String both = refusal(Map.of("FLANNELD_KUBECONFIG_FILE", "/etc/kubeconfig"), "-kube-api-url", "https://10.0.0.1:6443").orElseThrow();
        assertTrue(both.contains("-kube-api-url") && both.contains("FLANNELD_KUBECONFIG_FILE"), both);
        for (String flag : List.of("-kube-annotation-prefix=x.io", "-set-node-network-unavailable=false")) {
            assertTrue(refusal(Map.of(), flag).isPresent(), flag);
        }
        assertFalse(both.contains("\n"), "one line");
    }

    /** -version: the build's Maven version and git commit, the same pair as the plugins, weftctl and weft_build_info. */
    @Test
    void versionIsTheBuild() throws IOException, InterruptedException {
        dev.weft.build.BuildInfo b = dev.weft.build.BuildInfo.current();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "-version");
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue());
        assertEquals("weftd " + b.version() + " (commit " + b.commit() + "), flannel-compatible\n", out);
        assertTrue(Weftd.BUILD_INFO.contains("\nweft_build_info{version=\"" + b.version() + "\",commit=\"" + b.commit() + "\"} 1\n"),
                Weftd.BUILD_INFO);
    }

    /** Main prints the one line and exits 1, before any logging or start-up. */
    @Test
    void mainExitsOneWithOneLine() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--kube-subnet-mgr", "--ip-masq");
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
        Process p = pb.start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), err);
        assertEquals("", out);
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("weftd: -kube-subnet-mgr: this build leases subnets from etcd"), err);
    }
}
