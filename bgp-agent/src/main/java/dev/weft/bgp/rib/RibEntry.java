package dev.weft.bgp.rib;

import dev.weft.net.Cidr;
import java.util.List;

/** One prefix of a {@link Rib#dump}: the selected paths (best first) and all accepted paths. */
public record RibEntry(Cidr prefix, List<Path> selected, List<Path> paths) {
    public RibEntry {
        selected = List.copyOf(selected);
        paths = List.copyOf(paths);
    }
}
