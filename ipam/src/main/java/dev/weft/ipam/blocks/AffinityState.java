package dev.weft.ipam.blocks;

/** Calico's block affinity states, with their JSON spelling. */
public enum AffinityState {
    /** Phase 1 of a claim: the node intends to take the block; the block may not exist yet. */
    PENDING("pending"),
    /** The block exists and is the node's. Only confirmed blocks are announced. */
    CONFIRMED("confirmed"),
    /** Being given up (Calico's release path); treated as not the node's. */
    PENDING_DELETION("pendingDeletion");

    private final String json;

    AffinityState(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }

    static AffinityState fromJson(String s) {
        for (AffinityState a : values()) {
            if (a.json.equals(s)) {
                return a;
            }
        }
        return null;
    }
}
