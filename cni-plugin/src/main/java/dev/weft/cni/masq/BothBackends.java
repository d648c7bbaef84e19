package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import dev.weft.cni.spec.CniError;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What {@link Masquerade#forBackend} returns: setup with the configured backend; teardown and GC
 * in both, because the pod may have been set up by another plugin version or configuration
 * (reference {@code TeardownIPMasqForNetworks}). A backend whose tool is not installed cannot hold
 * any state, so its absence is not an error there.
 */
record BothBackends(Masquerade chosen, IptablesMasquerade iptables, NftablesMasquerade nftables)
        implements Masquerade {

    /**
     * The reference prefers iptables unless only nftables works. It probes by running both tools;
     * we only look for the binaries, which costs no process on the ADD path: a host with the
     * iptables binaries but no kernel support for them is the one case decided differently.
     */
    static String defaultBackend(CommandRunner runner) {
        boolean iptables = runner.hasTool("iptables-save") && runner.hasTool("iptables-restore");
        if (!iptables && runner.hasTool("nft")) {
            return "nftables";
        }
        return "iptables";
    }

    @Override
    public void setup(String network, String containerId, String ifname, List<Cidr> addresses) {
        chosen.setup(network, containerId, ifname, addresses);
    }

    @Override
    public void teardown(String network, String containerId, String ifname, List<Cidr> addresses) {
        List<String> errors = new ArrayList<>();
        for (Masquerade m : List.of(iptables, nftables)) {
            try {
                m.teardown(network, containerId, ifname, addresses);
            } catch (CommandRunner.ToolMissingException e) {
                // not installed: nothing to tear down there
            } catch (CniError e) {
                errors.add(e.getMessage() + (e.details().isEmpty() ? "" : ": " + e.details()));
            }
        }
        if (!errors.isEmpty()) {
            throw new CniError(CniError.INTERNAL, String.join("\n", errors));
        }
    }

    @Override
    public GcResult gc(String network, Collection<Attachment> valid) {
        return iptables.gc(network, valid).plus(nftables.gc(network, valid));
    }
}
