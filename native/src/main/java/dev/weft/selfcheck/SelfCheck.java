package dev.weft.selfcheck;

import dev.weft.net.Cidr;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A short proof that the OS layer works on this machine: through Weft's own netlink client it
 * creates two namespaces, a bridge, and a veth pair whose peer lands in the second namespace,
 * prints what the kernel reports, and removes everything again, also on failure.
 */
public final class SelfCheck {
    private SelfCheck() {
    }

    public static void main(String[] args) {
        String tag = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        String hostName = "wt-sc-h-" + tag;
        String podName = "wt-sc-p-" + tag;
        NetNs.create(hostName).close();
        try {
            NetNs.create(podName).close();
            try (NetNs host = NetNs.openNamed(hostName); NetNs pod = NetNs.openNamed(podName);
                 RtNetlink hostNl = RtNetlink.open(host); RtNetlink podNl = RtNetlink.open(pod)) {
                hostNl.create(new LinkSpec.Bridge("wt-br0").withMtu(1450));
                Link br = hostNl.requireLink("wt-br0");
                hostNl.replaceAddress(Address.of(br.index(), Cidr.parse("10.213.0.1/24")));
                hostNl.setUp(br.index());
                hostNl.create(new LinkSpec.Veth("wt-veth0", "eth0").withMtu(1450).withPeerInNetns(pod.fd()));
                Link veth = hostNl.requireLink("wt-veth0");
                hostNl.setMaster(veth.index(), br.index());
                hostNl.setHairpin(veth.index(), true);
                hostNl.setUp(veth.index());
                Link eth0 = podNl.requireLink("eth0");
                podNl.addAddress(Address.of(eth0.index(), Cidr.parse("10.213.0.2/24")));
                podNl.setUp(eth0.index());

                System.out.println("netns " + hostName + " (host side):");
                for (Link l : hostNl.links()) {
                    System.out.printf("  %-10s #%-3d kind=%-7s mtu=%-5d mac=%s master=#%d up=%s%n", l.name(), l.index(),
                            l.kind(), l.mtu(), l.mac(), l.masterIndex(), l.isUp());
                }
                System.out.println("  hairpin on wt-veth0: " + hostNl.hairpin(veth.index()));
                hostNl.addresses(0, br.index()).forEach(a -> System.out.println("  address on wt-br0: " + a.cidr()));
                System.out.println("netns " + podName + " (pod side):");
                for (Link l : podNl.links()) {
                    System.out.printf("  %-10s #%-3d kind=%-7s mtu=%-5d mac=%s up=%s%n", l.name(), l.index(), l.kind(),
                            l.mtu(), l.mac(), l.isUp());
                }
                podNl.addresses(0, eth0.index()).forEach(a -> System.out.println("  address on eth0: " + a.cidr()));
            }
        } finally {
            if (NetNs.exists(podName)) {
                NetNs.delete(podName);
            }
            NetNs.delete(hostName);
        }
        System.out.println("self-check passed; namespaces removed");
    }
}
