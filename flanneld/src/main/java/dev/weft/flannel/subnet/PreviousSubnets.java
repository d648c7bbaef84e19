package dev.weft.flannel.subnet;

import dev.weft.net.Cidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The subnets this node had before a restart, read from the old subnet.env
 * ({@code FLANNEL_SUBNET=10.244.1.1/24}, {@code FLANNEL_IPV6_SUBNET=...}) and turned into the
 * subnet blocks, as flanneld does, to ask for the same subnet again.
 *
 * @param subnet   e.g. 10.244.1.0/24, or null
 * @param subnetV6 or null
 */
public record PreviousSubnets(Cidr subnet, Cidr subnetV6) {
    public static final PreviousSubnets NONE = new PreviousSubnets(null, null);

    /** Reads {@code path}; a missing file or unparsable value simply means "no previous subnet". */
    public static PreviousSubnets read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return NONE;
        } catch (IOException e) {
            return NONE;
        }
        Cidr v4 = null;
        Cidr v6 = null;
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String k = line.substring(0, eq).strip();
            String v = line.substring(eq + 1).strip();
            if (k.equals("FLANNEL_SUBNET")) {
                v4 = block(v);
            } else if (k.equals("FLANNEL_IPV6_SUBNET")) {
                v6 = block(v);
            }
        }
        return new PreviousSubnets(v4, v6);
    }

    private static Cidr block(String v) {
        try {
            return Cidr.parse(v).network();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
