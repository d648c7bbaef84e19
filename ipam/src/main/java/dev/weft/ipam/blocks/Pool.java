package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.Objects;

/**
 * An address pool cut into blocks of one size.
 *
 * @param cidr      the pool, without host bits
 * @param blockSize the blocks' prefix length (at least the pool's)
 */
public record Pool(Cidr cidr, int blockSize) {
    /** Block indexes are longs; a larger pool is treated as this many blocks (its start). */
    static final long MAX_BLOCKS = 1L << 62;

    public Pool {
        Objects.requireNonNull(cidr, "cidr");
        if (cidr.hasHostBits()) {
            throw new IllegalArgumentException("pool " + cidr + " has host bits set (the network is " + cidr.network() + ")");
        }
        if (blockSize < cidr.prefixLength() || blockSize > cidr.address().bitLength()) {
            throw new IllegalArgumentException("block size /" + blockSize + " does not fit pool " + cidr);
        }
    }

    public Family family() {
        return Family.of(cidr);
    }

    /** How many blocks the pool holds (capped at {@link #MAX_BLOCKS}). */
    public long blockCount() {
        int exp = blockSize - cidr.prefixLength();
        return exp >= 62 ? MAX_BLOCKS : 1L << exp;
    }

    /** The block at {@code index} (0 = the pool's first). */
    public Cidr block(long index) {
        if (index < 0 || index >= blockCount()) {
            throw new IllegalArgumentException("block index " + index + " is outside pool " + cidr);
        }
        int hostBits = cidr.address().bitLength() - blockSize;
        IpAddress base = cidr.address();
        IpAddress a = base.isV4()
                ? base.plus(index << hostBits)
                : IpAddress.fromBigInteger(base.toBigInteger().add(BigInteger.valueOf(index).shiftLeft(hostBits)), true);
        return Cidr.of(a, blockSize);
    }

    /** Whether {@code block} is one of this pool's blocks (inside it, with its block size, aligned). */
    public boolean hasBlock(Cidr block) {
        return block.prefixLength() == blockSize && !block.hasHostBits() && cidr.contains(block);
    }

    /** Number of addresses per block. */
    public int blockAddresses() {
        return 1 << (cidr.address().bitLength() - blockSize);
    }
}
