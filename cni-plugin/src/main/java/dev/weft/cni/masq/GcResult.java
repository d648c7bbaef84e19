package dev.weft.cni.masq;

import java.util.ArrayList;
import java.util.List;

/**
 * What a GC removed and what it could not: GC goes on past individual failures (CNI spec), so
 * the caller gets both and turns a non-empty {@link #errors} into one aggregate CNI error.
 */
public record GcResult(List<Removal> removed, List<String> errors) {
    public GcResult {
        removed = List.copyOf(removed);
        errors = List.copyOf(errors);
    }

    /**
     * One stale attachment's state that is gone now.
     *
     * @param backend     {@code iptables}, {@code ip6tables} or {@code nftables}
     * @param containerId the stale container, as its rules name it
     * @param object      what was removed, e.g. {@code nat chain CNI-1a2b...}
     */
    public record Removal(String backend, String containerId, String object) {
        @Override
        public String toString() {
            return backend + " " + object + " (container " + containerId + ")";
        }
    }

    public static GcResult empty() {
        return new GcResult(List.of(), List.of());
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    public GcResult plus(GcResult other) {
        List<Removal> r = new ArrayList<>(removed);
        r.addAll(other.removed);
        List<String> e = new ArrayList<>(errors);
        e.addAll(other.errors);
        return new GcResult(r, e);
    }
}
