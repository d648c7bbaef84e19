package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every error the reference has words for gets the same words from us, checked against the binary. */
class ReferenceMessagesTest {
    @TempDir
    Path theirs;
    @TempDir
    Path ours;

    static Stream<Arguments> badConfigs() {
        String v = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"dataDir\":\"DATADIR\",";
        String ok = "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]";
        return Stream.of(
                Arguments.of("no ipam", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", null),
                Arguments.of("no ranges", v + "\"ranges\":[]}}", null),
                Arguments.of("host bits v4", v + "\"ranges\":[[{\"subnet\":\"10.1.0.5/24\"}]]}}", null),
                Arguments.of("host bits v6", v + "\"ranges\":[[{\"subnet\":\"2001:db8::5/64\"}]]}}", null),
                Arguments.of("/31", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/31\"}]]}}", null),
                Arguments.of("/32", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/32\"}]]}}", null),
                Arguments.of("/127", v + "\"ranges\":[[{\"subnet\":\"2001:db8::/127\"}]]}}", null),
                Arguments.of("/128", v + "\"ranges\":[[{\"subnet\":\"2001:db8::/128\"}]]}}", null),
                Arguments.of("bad CIDR", v + "\"ranges\":[[{\"subnet\":\"bogus\"}]]}}", null),
                Arguments.of("bad gateway", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"gateway\":\"x\"}]]}}", null),
                Arguments.of("start outside", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.2.0.1\"}]]}}", null),
                Arguments.of("end outside", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"10.2.0.1\"}]]}}", null),
                Arguments.of("start after end", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeStart\":\"10.1.0.10\","
                        + "\"rangeEnd\":\"10.1.0.5\"}]]}}", null),
                Arguments.of("end other family", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\",\"rangeEnd\":\"2001:db8::5\"}]]}}", null),
                Arguments.of("mixed families", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"2001:db8::/64\"}]]}}", null),
                Arguments.of("overlap in set", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"},{\"subnet\":\"10.1.0.0/25\"}]]}}", null),
                Arguments.of("overlap across sets", v + "\"ranges\":[[{\"subnet\":\"10.9.0.0/24\"}],[{\"subnet\":\"10.1.0.0/24\"}],"
                        + "[{\"subnet\":\"10.1.0.128/25\"}]]}}", null),
                Arguments.of("capability overlaps config", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{"
                        + "\"ipRanges\":[[{\"subnet\":\"10.1.0.0/24\"}]]},\"ipam\":{\"dataDir\":\"DATADIR\"," + ok + "}}", null),
                Arguments.of("empty set", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}],[]]}}", null),
                Arguments.of("0.2.0 two v4", "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"ipam\":{\"dataDir\":\"DATADIR\","
                        + "\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}],[{\"subnet\":\"10.8.0.0/24\"}]]}}", null),
                Arguments.of("args.cni.ips", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"args\":{\"cni\":{\"ips\":[\"bogus\"]}},"
                        + "\"ipam\":{\"dataDir\":\"DATADIR\"," + ok + "}}", null),
                Arguments.of("runtimeConfig.ips", "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"runtimeConfig\":{\"ips\":[\"bogus\"]},"
                        + "\"ipam\":{\"dataDir\":\"DATADIR\"," + ok + "}}", null),
                Arguments.of("unknown CNI_ARGS", v + ok + "}}", "FOO=1;BAR=2"),
                Arguments.of("invalid pair", v + ok + "}}", "FOO"),
                Arguments.of("trailing semicolon", v + ok + "}}", "IP=10.1.0.2;"),
                Arguments.of("bad IP arg", v + ok + "}}", "IP=bogus"),
                Arguments.of("bad bool arg", v + ok + "}}", "FOO=1;IgnoreUnknown=yes"),
                Arguments.of("CommonArgs", v + ok + "}}", "CommonArgs=1"),
                Arguments.of("requested gateway", v + ok + "}}", "IP=10.1.0.1"),
                Arguments.of("requested outside", v + ok + "}}", "IgnoreUnknown=true;K8S_POD_NAME=p;IP=10.3.0.1"),
                Arguments.of("exhausted", v + "\"ranges\":[[{\"subnet\":\"10.1.0.0/30\"},{\"subnet\":\"10.2.0.0/30\","
                        + "\"gateway\":\"10.2.0.2\"}]]}}", "SETUP"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void sameMessageAsTheReference(String what, String stdin, String cniArgs) throws Exception {
        JsonNode t = Configs.json(stdin.replace("DATADIR", theirs.toString()));
        JsonNode o = Configs.json(stdin.replace("DATADIR", ours.toString()));
        HostLocalAllocator alloc = new HostLocalAllocator(l -> { });
        if ("SETUP".equals(cniArgs)) { // fill the set first, then ask once more
            cniArgs = null;
            ReferenceHostLocal.add(t, "a");
            ReferenceHostLocal.add(t, "b");
            alloc.allocate(Configs.request(o, "a"));
            alloc.allocate(Configs.request(o, "b"));
        }
        String theirMsg = ReferenceHostLocal.addError(t, "x", cniArgs);
        String args = cniArgs;
        IpamException e = assertThrows(IpamException.class,
                () -> alloc.allocate(Configs.request(o, "x", "eth0", args)));
        assertEquals(theirMsg, e.msg());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allocationConflicts")
    void sameMessageForConflictsInASharedStore(String what, String cniArgs, String containerId) throws Exception {
        // One store for both: the reference and we each hit the state the other made.
        JsonNode cfg = Configs.ranges("n", theirs, "[[{\"subnet\":\"10.1.0.0/24\"}],[{\"subnet\":\"2001:db8::/64\"}]]");
        HostLocalAllocator alloc = new HostLocalAllocator(l -> { });
        alloc.allocate(Configs.request(cfg, "holder"));
        String theirMsg = ReferenceHostLocal.addError(cfg, containerId, cniArgs);
        IpamException e = assertThrows(IpamException.class,
                () -> alloc.allocate(Configs.request(cfg, containerId, "eth0", cniArgs)));
        assertEquals(theirMsg, e.msg());
    }

    static Stream<Arguments> allocationConflicts() {
        return Stream.of(
                Arguments.of("duplicate", null, "holder"),
                Arguments.of("requested taken", "IP=10.1.0.2", "y"),
                Arguments.of("requested v6 taken", "IP=2001:db8::2", "y"));
    }
}
