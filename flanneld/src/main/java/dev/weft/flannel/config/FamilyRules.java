package dev.weft.flannel.config;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;

/**
 * flannel's {@code CheckNetworkConfig} for one address family: the same algorithm with different
 * limits (/30 vs /126 maximum, /28 vs /124 minimum network, /24 vs /64 default) and key names.
 * Messages are flannel's, word for word.
 */
final class FamilyRules {
    static final FamilyRules IPV4 = new FamilyRules(false, "Network", "SubnetLen", "SubnetMin", "SubnetMax",
            30, 28, 22, 24, "SubnetLen must be less than /31",
            "network is too small. Minimum useful network prefix is /28");
    static final FamilyRules IPV6 = new FamilyRules(true, "IPv6Network", "IPv6SubnetLen", "IPv6SubnetMin",
            "IPv6SubnetMax", 126, 124, 62, 64, "SubnetLen must be less than /127",
            "IPv6Network is too small. Minimum useful network prefix is /124");

    final boolean v6;
    final String networkKey;
    final String lenKey;
    final String minKey;
    final String maxKey;
    private final int maxSubnetLen;
    private final int smallestNetwork;
    private final int defaultLenUpTo;
    private final int defaultLen;
    private final String tooLongMessage;
    private final String tooSmallMessage;

    private FamilyRules(boolean v6, String networkKey, String lenKey, String minKey, String maxKey,
                        int maxSubnetLen, int smallestNetwork, int defaultLenUpTo, int defaultLen,
                        String tooLongMessage, String tooSmallMessage) {
        this.v6 = v6;
        this.networkKey = networkKey;
        this.lenKey = lenKey;
        this.minKey = minKey;
        this.maxKey = maxKey;
        this.maxSubnetLen = maxSubnetLen;
        this.smallestNetwork = smallestNetwork;
        this.defaultLenUpTo = defaultLenUpTo;
        this.defaultLen = defaultLen;
        this.tooLongMessage = tooLongMessage;
        this.tooSmallMessage = tooSmallMessage;
    }

    /**
     * Applies defaults and checks.
     *
     * @param network   the configured network, host bits cleared, or null if absent
     * @param subnetLen the configured length, 0 when absent (flannel treats 0 as absent)
     * @param min       configured SubnetMin or null; the all-zero address also counts as absent
     * @param max       configured SubnetMax or null; likewise
     */
    SubnetRange resolve(Cidr network, long subnetLen, IpAddress min, IpAddress max) {
        // flannel's Empty(): the zero value, which also catches 0.0.0.0/0
        if (network == null || (network.prefixLength() == 0 && network.address().isUnspecified())) {
            throw new ConfigException(networkKey,
                    "please define a correct " + networkKey + " parameter in the flannel config");
        }
        int prefix = network.prefixLength();
        int len;
        if (subnetLen > 0) {
            if (subnetLen > maxSubnetLen) {
                throw new ConfigException(lenKey, tooLongMessage);
            }
            if (subnetLen < prefix + 2) {
                // the first subnet is skipped, so two would leave just one usable
                throw new ConfigException(lenKey, "network must be able to accommodate at least four subnets");
            }
            len = (int) subnetLen;
        } else if (prefix > smallestNetwork) {
            throw new ConfigException(networkKey, tooSmallMessage);
        } else {
            len = prefix <= defaultLenUpTo ? defaultLen : prefix + 2;
        }

        int bits = network.address().bitLength();
        BigInteger size = BigInteger.ONE.shiftLeft(bits - len);
        BigInteger base = network.networkAddress().toBigInteger();

        if (absent(min)) {
            // Skip the first subnet: its network address equals the cluster network's.
            min = IpAddress.fromBigInteger(base.add(size), v6);
        } else if (!network.contains(min)) {
            throw new ConfigException(minKey, minKey + " is not in the range of the " + networkKey);
        }
        if (absent(max)) {
            BigInteger end = network.broadcastAddress().toBigInteger().add(BigInteger.ONE);
            max = IpAddress.fromBigInteger(end.subtract(size), v6);
        } else if (!network.contains(max)) {
            throw new ConfigException(maxKey, maxKey + " is not in the range of the " + networkKey);
        }
        if (Cidr.of(min, len).hasHostBits()) {
            throw new ConfigException(minKey, minKey + " is not on a SubnetLen boundary: " + min);
        }
        if (Cidr.of(max, len).hasHostBits()) {
            throw new ConfigException(maxKey, maxKey + " is not on a SubnetLen boundary: " + max);
        }
        // flannel accepts this and then fails every allocation with "out of subnets"; say it up front.
        if (min.compareTo(max) > 0) {
            throw new ConfigException(minKey, minKey + " (" + min + ") is greater than " + maxKey + " (" + max + ")");
        }
        return new SubnetRange(network, len, min, max);
    }

    private static boolean absent(IpAddress a) {
        return a == null || a.isUnspecified();
    }
}
