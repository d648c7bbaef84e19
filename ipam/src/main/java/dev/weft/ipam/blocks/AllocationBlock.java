package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One Calico allocation block (the value of {@code <prefix>/assignment/ipv4/block/10.0.0.0-26}),
 * immutable: assigning or releasing returns a new block to write with a compare-and-swap.
 *
 * <p>{@code allocations[ordinal]} is an index into {@code attributes}, or {@link #FREE};
 * {@code unallocated} is the FIFO of free ordinals: allocation takes the head, release appends
 * to the tail, so an address released now is the last to be handed out again.
 * {@code sequenceNumber} changes with every write, and each allocation remembers the value it
 * was made under ({@code sequenceNumberForAllocation}), so a stale release can be told apart.
 *
 * <p>A block has at most 4096 addresses (a /20), so copying its arrays per write is cheap.
 */
public final class AllocationBlock {
    /** An unallocated ordinal ({@code null} in Calico's JSON). */
    public static final int FREE = -1;
    /** Calico's affinity prefix for a node. */
    public static final String HOST_AFFINITY = "host:";

    private final Cidr cidr;
    private final String affinity;
    private final int[] allocations;
    private final int[] unallocated;
    private final List<AllocationAttribute> attributes;
    /** Go's nil slice: a block no allocation has touched has {@code "attributes":null}. */
    private final boolean attributesNil;
    private final long sequenceNumber;
    private final Map<Integer, Long> sequenceForAllocation;
    private final boolean deleted;

    AllocationBlock(Cidr cidr, String affinity, int[] allocations, int[] unallocated,
                    List<AllocationAttribute> attributes, long sequenceNumber,
                    Map<Integer, Long> sequenceForAllocation, boolean deleted) {
        this(cidr, affinity, allocations, unallocated, attributes, false, sequenceNumber, sequenceForAllocation, deleted);
    }

    AllocationBlock(Cidr cidr, String affinity, int[] allocations, int[] unallocated,
                    List<AllocationAttribute> attributes, boolean attributesNil, long sequenceNumber,
                    Map<Integer, Long> sequenceForAllocation, boolean deleted) {
        this.cidr = Objects.requireNonNull(cidr, "cidr");
        this.affinity = affinity;
        this.allocations = allocations;
        this.unallocated = unallocated;
        this.attributes = List.copyOf(attributes);
        this.attributesNil = attributesNil && attributes.isEmpty();
        this.sequenceNumber = sequenceNumber;
        this.sequenceForAllocation = Collections.unmodifiableMap(new TreeMap<>(sequenceForAllocation));
        this.deleted = deleted;
    }

    /**
     * A new block affine to {@code node} with every ordinal free, in order. Like Calico, the
     * sequence number starts from a clock, so a block deleted and created again never repeats one.
     */
    public static AllocationBlock create(Cidr cidr, String node, long sequenceStart) {
        int n = 1 << (cidr.address().bitLength() - cidr.prefixLength());
        int[] alloc = new int[n];
        Arrays.fill(alloc, FREE);
        int[] free = new int[n];
        for (int i = 0; i < n; i++) {
            free[i] = i;
        }
        return new AllocationBlock(cidr, node == null ? null : HOST_AFFINITY + node, alloc, free, List.of(), true,
                sequenceStart, Map.of(), false);
    }

    public Cidr cidr() {
        return cidr;
    }

    /** {@code host:<node>} or null. */
    public String affinity() {
        return affinity;
    }

    /** The node this block is affine to, or null. */
    public String host() {
        return affinity != null && affinity.startsWith(HOST_AFFINITY) ? affinity.substring(HOST_AFFINITY.length()) : null;
    }

    public int size() {
        return allocations.length;
    }

    /** Attribute index of the ordinal, or {@link #FREE}. */
    public int allocation(int ordinal) {
        return allocations[ordinal];
    }

    /** Free ordinals, head first. */
    public int[] unallocated() {
        return unallocated.clone();
    }

    public List<AllocationAttribute> attributes() {
        return attributes;
    }

    boolean attributesNil() {
        return attributesNil;
    }

    public long sequenceNumber() {
        return sequenceNumber;
    }

    /** Ordinal → sequence number it was allocated under. */
    public Map<Integer, Long> sequenceForAllocation() {
        return sequenceForAllocation;
    }

    public boolean deleted() {
        return deleted;
    }

    public int freeCount() {
        return unallocated.length;
    }

    /** No address is allocated. */
    public boolean isEmpty() {
        for (int a : allocations) {
            if (a != FREE) {
                return false;
            }
        }
        return true;
    }

    public IpAddress address(int ordinal) {
        return cidr.networkAddress().plus(ordinal);
    }

    /** The address's ordinal, or -1 if it is outside the block. */
    public int ordinalOf(IpAddress a) {
        if (!cidr.contains(a)) {
            return -1;
        }
        return a.toBigInteger().subtract(cidr.networkAddress().toBigInteger()).intValueExact();
    }

    /** The result of {@link #assign}: the block to write and the ordinal it gave out. */
    public record Assigned(AllocationBlock block, int ordinal, long sequence) {
    }

    /**
     * Takes the head of the free list for {@code handle}; null if the block is full. The attribute
     * entry is shared with an identical one already in the block, as Calico does.
     */
    public Assigned assign(String handle, Map<String, String> secondary) {
        if (unallocated.length == 0) {
            return null;
        }
        int ordinal = unallocated[0];
        List<AllocationAttribute> attrs = new ArrayList<>(attributes);
        int index = -1;
        for (int i = 0; i < attrs.size(); i++) {
            if (attrs.get(i).sameAs(handle, secondary)) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            attrs.add(new AllocationAttribute(handle, secondary));
            index = attrs.size() - 1;
        }
        int[] alloc = allocations.clone();
        alloc[ordinal] = index;
        Map<Integer, Long> seqs = new TreeMap<>(sequenceForAllocation);
        seqs.put(ordinal, sequenceNumber);
        AllocationBlock b = new AllocationBlock(cidr, affinity, alloc, Arrays.copyOfRange(unallocated, 1, unallocated.length),
                attrs, sequenceNumber + 1, seqs, deleted);
        return new Assigned(b, ordinal, sequenceNumber);
    }

    /** Ordinals allocated to {@code handle}, ascending. */
    public List<Integer> ordinalsOf(String handle) {
        return ordinalsWhere(attr -> handle.equals(attr.handleId()));
    }

    private List<Integer> ordinalsWhere(java.util.function.Predicate<AllocationAttribute> p) {
        List<Integer> out = new ArrayList<>();
        for (int o = 0; o < allocations.length; o++) {
            int a = allocations[o];
            if (a != FREE && p.test(attributes.get(a))) {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * Releases every address of {@code handle}: the ordinals go to the tail of the free list, and an
     * attribute entry no address refers to any more is removed (later indexes shift down, as in
     * Calico). Returns this block itself if the handle holds nothing here.
     */
    public AllocationBlock release(String handle) {
        return releaseOrdinals(ordinalsOf(handle));
    }

    /** Releases the one address {@code a} if {@code handle} holds it; else returns this block itself. */
    public AllocationBlock release(String handle, IpAddress a) {
        int o = ordinalOf(a);
        return o >= 0 && ordinalsOf(handle).contains(o) ? releaseOrdinals(List.of(o)) : this;
    }

    /** Releases the address at {@code ordinal} whoever holds it (an operator's release); this block itself if it is free. */
    AllocationBlock releaseAt(int ordinal) {
        return allocations[ordinal] == FREE ? this : releaseOrdinals(List.of(ordinal));
    }

    private AllocationBlock releaseOrdinals(List<Integer> ords) {
        if (ords.isEmpty()) {
            return this;
        }
        int[] alloc = allocations.clone();
        Map<Integer, Long> seqs = new TreeMap<>(sequenceForAllocation);
        for (int o : ords) {
            alloc[o] = FREE;
            seqs.remove(o);
        }
        int[] free = Arrays.copyOf(unallocated, unallocated.length + ords.size());
        for (int i = 0; i < ords.size(); i++) {
            free[unallocated.length + i] = ords.get(i);
        }
        return compacted(alloc, free, attributes, seqs);
    }

    /**
     * Hands every address of {@code from} over to {@code to} with {@code secondary} attributes: the
     * ordinals stay allocated (no trip through the free list). Returns this block itself if
     * {@code from} holds nothing here.
     */
    public AllocationBlock reassign(String from, String to, Map<String, String> secondary) {
        List<Integer> ords = ordinalsOf(from);
        if (ords.isEmpty()) {
            return this;
        }
        List<AllocationAttribute> attrs = new ArrayList<>(attributes);
        int index = -1;
        for (int i = 0; i < attrs.size(); i++) {
            if (attrs.get(i).sameAs(to, secondary)) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            attrs.add(new AllocationAttribute(to, secondary));
            index = attrs.size() - 1;
        }
        int[] alloc = allocations.clone();
        for (int o : ords) {
            alloc[o] = index;
        }
        return compacted(alloc, unallocated.clone(), attrs, new TreeMap<>(sequenceForAllocation));
    }

    /** The next version of this block; attribute entries no address refers to are dropped. */
    private AllocationBlock compacted(int[] alloc, int[] free, List<AllocationAttribute> attributes, Map<Integer, Long> seqs) {
        // Drop attribute entries that lost their last reference and renumber the rest.
        boolean[] used = new boolean[attributes.size()];
        for (int a : alloc) {
            if (a != FREE) {
                used[a] = true;
            }
        }
        int[] newIndex = new int[attributes.size()];
        List<AllocationAttribute> attrs = new ArrayList<>();
        for (int i = 0; i < attributes.size(); i++) {
            newIndex[i] = used[i] ? attrs.size() : FREE;
            if (used[i]) {
                attrs.add(attributes.get(i));
            }
        }
        for (int o = 0; o < alloc.length; o++) {
            if (alloc[o] != FREE) {
                alloc[o] = newIndex[alloc[o]];
            }
        }
        return new AllocationBlock(cidr, affinity, alloc, free, attrs, sequenceNumber + 1, seqs, deleted);
    }

    /** Ordinals allocated with attributes that name {@code node} (its borrowed addresses, in another node's block). */
    public List<Integer> ordinalsOfNode(String node) {
        return ordinalsWhere(attr -> node.equals(attr.node()));
    }

    /** Handles with an address here whose attributes name {@code node}. */
    public Set<String> handlesOfNode(String node) {
        Set<String> out = new HashSet<>();
        for (int a : allocations) {
            if (a != FREE) {
                AllocationAttribute attr = attributes.get(a);
                if (attr.handleId() != null && node.equals(attr.node())) {
                    out.add(attr.handleId());
                }
            }
        }
        return out;
    }

    /** Number of addresses allocated per handle (handles only). */
    public Map<String, Integer> countsByHandle() {
        Map<String, Integer> out = new TreeMap<>();
        for (int a : allocations) {
            if (a != FREE && attributes.get(a).handleId() != null) {
                out.merge(attributes.get(a).handleId(), 1, Integer::sum);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationBlock b && cidr.equals(b.cidr) && Objects.equals(affinity, b.affinity)
                && Arrays.equals(allocations, b.allocations) && Arrays.equals(unallocated, b.unallocated)
                && attributes.equals(b.attributes) && attributesNil == b.attributesNil && sequenceNumber == b.sequenceNumber
                && sequenceForAllocation.equals(b.sequenceForAllocation) && deleted == b.deleted;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cidr, affinity, Arrays.hashCode(allocations), sequenceNumber);
    }

    @Override
    public String toString() {
        return "AllocationBlock[" + cidr + " " + affinity + ", " + (size() - freeCount()) + "/" + size() + " used]";
    }
}
