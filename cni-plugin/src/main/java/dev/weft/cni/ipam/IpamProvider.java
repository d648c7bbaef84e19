package dev.weft.cni.ipam;

/** How the main plugins reach their IPAM: always by delegation (see {@link DelegatedIpam}). */
public final class IpamProvider {
    private IpamProvider() {
    }

    public static Ipam forType(String type) {
        return new DelegatedIpam(type);
    }
}
