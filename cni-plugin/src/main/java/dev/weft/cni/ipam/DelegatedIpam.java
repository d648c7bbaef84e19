package dev.weft.cni.ipam;

import dev.weft.cni.invoke.InProcess;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Verb;
import dev.weft.cni.spec.Result;

/**
 * An IPAM plugin reached by delegation: Weft's own in this process, any other type (host-local,
 * dhcp …) executed from CNI_PATH. It gets the plugin's complete stdin either way.
 */
public record DelegatedIpam(String type) implements Ipam {
    @Override
    public Result add(Request r) {
        return InProcess.add(type, r, r.stdin());
    }

    @Override
    public void del(Request r) {
        InProcess.run(type, Verb.DEL, r, r.stdin());
    }

    @Override
    public void check(Request r) {
        InProcess.run(type, Verb.CHECK, r, r.stdin());
    }

    @Override
    public void gc(Request r) {
        InProcess.run(type, Verb.GC, r, r.stdin());
    }

    @Override
    public void status(Request r) {
        InProcess.run(type, Verb.STATUS, r, r.stdin());
    }
}
