package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import dev.weft.cni.spec.CniError;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.net.Cidr;
import java.util.Collection;
import java.util.List;

/**
 * Source NAT for a pod's addresses towards everything outside its own subnet (and not multicast),
 * the bridge/ptp {@code ipMasq} option. One attachment is (network, containerID, ifname) plus the
 * pod's addresses with their prefix, e.g. {@code 10.1.0.5/24}: the prefix is the subnet left alone.
 */
public interface Masquerade {

    /** Installs the rules; repeating it adds nothing (AppendUnique). Throws {@link CniError} 999. */
    void setup(String network, String containerId, String ifname, List<Cidr> addresses);

    /**
     * Removes this attachment's rules. What is already gone is not an error: DEL must succeed
     * after a reboot, a GC or a previous DEL. Throws {@link CniError} 999 on real failures.
     */
    void teardown(String network, String containerId, String ifname, List<Cidr> addresses);

    /**
     * Removes the state of every attachment of {@code network} that is not in {@code valid},
     * leaving other networks alone; continues past failures and reports them.
     */
    GcResult gc(String network, Collection<Attachment> valid);

    /** {@link #forBackend(String, CommandRunner)} running the tools in this network namespace. */
    static Masquerade forBackend(String ipMasqBackend) {
        return forBackend(ipMasqBackend, CommandRunner.local());
    }

    /**
     * The masquerade of a bridge/ptp config's {@code ipMasqBackend}: {@code "iptables"},
     * {@code "nftables"}, or null for the reference's default (iptables unless only nftables is
     * there). Setup uses that backend; teardown and GC sweep both, as the reference does, since
     * the pod may have been set up under another configuration or plugin version.
     *
     * @throws CniError code 7 for any other value
     */
    static Masquerade forBackend(String ipMasqBackend, CommandRunner runner) {
        IptablesMasquerade iptables = new IptablesMasquerade(runner);
        NftablesMasquerade nftables = new NftablesMasquerade(runner);
        String chosen = ipMasqBackend == null ? BothBackends.defaultBackend(runner) : ipMasqBackend;
        switch (chosen) {
            case "iptables":
                return new BothBackends(iptables, iptables, nftables);
            case "nftables":
                return new BothBackends(nftables, iptables, nftables);
            default:
                throw new CniError(CniError.INVALID_CONFIG, "unknown ipmasq backend " + GoQuote.quote(chosen));
        }
    }
}
