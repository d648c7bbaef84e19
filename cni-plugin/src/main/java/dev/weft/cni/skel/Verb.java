package dev.weft.cni.skel;

/** The CNI operations (CNI_COMMAND). */
public enum Verb {
    ADD, DEL, CHECK, GC, STATUS, VERSION;

    /** Whether the verb acts on one attachment and so needs CNI_CONTAINERID and CNI_IFNAME. */
    boolean needsAttachment() {
        return this == ADD || this == DEL || this == CHECK;
    }
}
