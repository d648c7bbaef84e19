package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DnsTest {

    @Test
    void parsesLikeTheReference(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, """
                # comment
                ; also a comment
                nameserver 10.0.0.10
                   nameserver   2001:db8::53   extra
                domain first.example
                domain cluster.local
                search a.example b.example
                search c.example
                options ndots:5 timeout:1
                options attempts:2
                nameserver
                sortlist 10.0.0.0/8
                """);
        HostLocalConfig cfg = HostLocalConfig.parse(Configs.net("n", dir, "\"subnet\":\"10.1.0.0/24\",\"resolvConf\":\""
                + f + "\""), null);
        Dns dns = cfg.dns().orElseThrow();
        assertEquals(List.of("10.0.0.10", "2001:db8::53"), dns.nameservers());
        assertEquals("cluster.local", dns.domain());
        assertEquals(List.of("a.example", "b.example", "c.example"), dns.search());
        assertEquals(List.of("ndots:5", "timeout:1", "attempts:2"), dns.options());
    }

    @Test
    void emptyAndAbsent(@TempDir Path dir) throws Exception {
        Dns empty = Dns.parse("# nothing\n\n");
        assertTrue(empty.isEmpty());
        assertNull(empty.domain());
        assertEquals(Optional.empty(), HostLocalConfig.parse(Configs.subnet("n", dir, "10.1.0.0/24"), null).dns());
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) throws Exception {
        HostLocalConfig cfg = HostLocalConfig.parse(Configs.net("n", dir, "\"subnet\":\"10.1.0.0/24\",\"resolvConf\":\""
                + dir.resolve("nope") + "\""), null);
        IpamException e = assertThrows(IpamException.class, cfg::dns);
        assertEquals(IpamException.IO_FAILURE, e.code());
    }
}
