package dev.weft.cni.flannel;

import dev.weft.cni.spec.CniError;
import dev.weft.net.Cidr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The node's subnet.env as flanneld (or weftd) writes it. Parsed as flannel's plugin does: one
 * KEY=value per line, split at the first '=', no quoting; the network keys may be comma lists.
 *
 * @param subnet   FLANNEL_SUBNET as a network (10.244.1.0/24), null when IPv4 is off
 * @param subnetV6 FLANNEL_IPV6_SUBNET as a network, null when IPv6 is off
 */
public record SubnetEnv(List<Cidr> networks, Cidr subnet, List<Cidr> networksV6, Cidr subnetV6, int mtu, boolean ipMasq) {

    /** Reads the file; a missing file or key is code 50-worthy and the message names both. */
    public static SubnetEnv read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CniError(CniError.NOT_AVAILABLE, "subnet file " + file + " does not exist",
                    "the node daemon (weftd or flanneld) has not written it yet: is it running on this node?");
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "cannot read subnet file " + file, e.getMessage());
        }
        List<Cidr> nets = new ArrayList<>();
        List<Cidr> nets6 = new ArrayList<>();
        Cidr subnet = null;
        Cidr subnet6 = null;
        Integer mtu = null;
        Boolean masq = null;
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = line.substring(0, eq).trim();
            String value = line.substring(eq + 1).trim();
            try {
                switch (key) {
                    case "FLANNEL_NETWORK" -> nets.addAll(cidrList(value));
                    case "FLANNEL_IPV6_NETWORK" -> nets6.addAll(cidrList(value));
                    case "FLANNEL_SUBNET" -> subnet = Cidr.parse(value).network();
                    case "FLANNEL_IPV6_SUBNET" -> subnet6 = Cidr.parse(value).network();
                    case "FLANNEL_MTU" -> mtu = Integer.parseUnsignedInt(value);
                    case "FLANNEL_IPMASQ" -> masq = value.equals("true");
                    default -> {
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new CniError(CniError.INVALID_CONFIG, "subnet file " + file + " has a bad " + key + " value \"" + value + "\"",
                        e.getMessage());
            }
        }
        List<String> missing = new ArrayList<>();
        if (nets.isEmpty() && nets6.isEmpty()) {
            missing.add("FLANNEL_NETWORK or FLANNEL_IPV6_NETWORK");
        }
        if (subnet == null && subnet6 == null) {
            missing.add("FLANNEL_SUBNET or FLANNEL_IPV6_SUBNET");
        }
        if (mtu == null) {
            missing.add("FLANNEL_MTU");
        }
        if (masq == null) {
            missing.add("FLANNEL_IPMASQ");
        }
        if (!missing.isEmpty()) {
            throw new CniError(CniError.NOT_AVAILABLE, "subnet file " + file + " is missing " + String.join(", ", missing),
                    "the node daemon may still be writing it, or it was written by hand");
        }
        return new SubnetEnv(nets, subnet, nets6, subnet6, mtu, masq);
    }

    /** Longest subnet.env read for its MTU alone: the file is a handful of short lines. */
    private static final int MTU_READ_LIMIT = 64 * 1024;

    /**
     * FLANNEL_MTU alone, for a plugin that takes only the MTU from the node daemon (weft-routed):
     * the other keys may be absent (a node on block IPAM leases no subnet). Null when the file
     * does not exist or has no FLANNEL_MTU; a bad value or an oversized file is an error.
     */
    public static Integer mtuOf(Path file) {
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MTU_READ_LIMIT + 1);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "cannot read subnet file " + file, e.getMessage());
        }
        if (bytes.length > MTU_READ_LIMIT) {
            throw new CniError(CniError.INVALID_CONFIG, "subnet file " + file + " is larger than " + MTU_READ_LIMIT + " bytes");
        }
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).trim().equals("FLANNEL_MTU")) {
                String value = line.substring(eq + 1).trim();
                try {
                    int mtu = Integer.parseUnsignedInt(value);
                    if (mtu >= 68 && mtu <= 65535) {
                        return mtu;
                    }
                } catch (NumberFormatException e) {
                    // reported below, with the value
                }
                throw new CniError(CniError.INVALID_CONFIG, "subnet file " + file + " has a bad FLANNEL_MTU value \"" + value + "\"");
            }
        }
        return null;
    }

    private static List<Cidr> cidrList(String v) {
        Set<Cidr> s = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                s.add(Cidr.parse(part.trim()));
            }
        }
        return new ArrayList<>(s);
    }
}
