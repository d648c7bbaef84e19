package dev.weft.flannel.cli;

import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.AddressRelease;
import dev.weft.net.IpAddress;
import java.io.PrintWriter;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * weftctl ipam release --ip X: frees one address (and its handle's count for it) in one
 * compare-and-swap transaction, for what {@code ipam check} reports as orphaned. Refused, with
 * nothing changed: an address a pod of this node uses (the runtime's CNI result cache, or weftd's
 * journal of pods started while etcd was away), weftd's own reserve, an address of this node while
 * the node's pods cannot all be read, and an address that is not allocated. The guard runs on what
 * the transaction is conditioned on, so a pod that takes the address meanwhile is not robbed.
 */
@Command(name = "release", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "Releases one allocated address (e.g. one `ipam check` reports as orphaned); refuses one a pod of this node uses.")
public final class IpamReleaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ip", required = true, paramLabel = "ADDRESS", description = "the address to release")
    String ip;

    @Mixin
    IpamSource source = new IpamSource();

    @Override
    public Integer call() throws Exception {
        IpAddress address;
        try {
            address = IpAddress.parse(ip);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ip " + ip + " is not an IP address");
        }
        String node = source.node.resolvedNodeName();
        CniCache.Pods pods = source.pods();
        Set<String> journaled = BlockIpam.journaledPods(source.node.ipamJournal());
        AddressRelease.Released r;
        try (IpamSource.Opened o = source.open()) {
            r = new AddressRelease(o.etcd().client().getKVClient(), o.prefix(), IpamSource.ETCD_TIMEOUT)
                    .release(address, h -> guard(h, node, pods, journaled));
        }
        PrintWriter out = spec.commandLine().getOut();
        AddressRelease.Holder h = r.holder();
        out.println("released " + address + " (" + (h.handle() == null ? "no handle" : "handle " + h.handle()
                + (r.handleDeleted() ? ", whose record is gone with it" : ", which keeps its other addresses"))
                + ", node " + h.attribute().node() + ", block " + h.blockKey() + ")");
        out.flush();
        return 0;
    }

    /** Throws when the address must stay. */
    static void guard(AddressRelease.Holder h, String node, CniCache.Pods pods, Set<String> journaled) throws IpamException {
        String handle = h.handle();
        if (handle != null && BlockIpam.isReservation(handle)) {
            throw refuse(h.address() + " is weftd's reserve (" + handle + ") for etcd outages; weftd manages it. Nothing changed.");
        }
        CniCache.Pod pod = handle == null ? null : pods.byHandle(handle);
        if (pod != null) {
            throw refuse(h.address() + " is in use by " + pod.describe() + " on this node " + node + " (handle " + handle
                    + ", recorded in " + pod.file() + "); delete the pod instead, its CNI DEL releases the address. Nothing changed.");
        }
        if (handle != null && journaled.contains(handle)) {
            throw refuse(h.address() + " is held by " + handle + ", which weftd on this node gave an address while etcd was"
                    + " away and has not replayed yet; nothing changed");
        }
        if (node.equals(h.attribute().node()) && !pods.complete()) {
            throw refuse(h.address() + " belongs to this node " + node + ", but its pods are not known for sure ("
                    + (pods.exists() ? pods.unreadable().size() + " unreadable file(s) in " + pods.dir()
                    : pods.dir() + " does not exist; --cni-cache-dir") + "); nothing changed");
        }
    }

    private static IpamException refuse(String msg) {
        return new IpamException(CniErrorCodes.INTERNAL, msg);
    }
}
