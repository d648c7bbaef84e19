package dev.weft.cni.ipam;

import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.Result;

/**
 * The IPAM a main plugin delegates to. Every verb gets the plugin's complete stdin, as the spec
 * requires of delegation.
 */
public interface Ipam {
    Result add(Request r);

    void del(Request r);

    void check(Request r);

    void gc(Request r);

    void status(Request r);
}
