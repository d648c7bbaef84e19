package dev.weft.ipam.hostlocal;

import dev.weft.net.IpAddress;
import java.util.List;

/**
 * The reference's round-robin walk over one range set, step for step, so Weft and the reference
 * hand out addresses in the same order from the same store.
 *
 * <p>It starts just after the last reserved IP when that IP is still a candidate of the set
 * (within the range holding it), otherwise at the first range's start. It steps by one, jumps from
 * a range's end to the next range's start (wrapping to the first range), skips each range's
 * gateway, and stops when it comes back to where it started. A crash-looping container therefore
 * does not get the same address again until the whole set has been used.
 */
final class RangeIterator {
    /** A candidate address and the range it came from (which supplies prefix and gateway). */
    record Candidate(IpAddress ip, IpRange range) {}

    private final List<IpRange> ranges;
    private int rangeIdx;
    private IpAddress cur;     // null before the first step when starting at the first range
    private IpAddress startIp; // where the walk began; reaching it again ends the walk

    RangeIterator(RangeSet set, IpAddress lastReserved) {
        this.ranges = set.ranges();
        if (lastReserved != null && set.contains(lastReserved)) {
            for (int i = 0; i < ranges.size(); i++) {
                if (ranges.get(i).contains(lastReserved)) {
                    rangeIdx = i;
                    cur = lastReserved.unmap(); // the first step yields lastReserved + 1
                    break;
                }
            }
        } else {
            rangeIdx = 0;
            startIp = ranges.get(0).rangeStart();
        }
    }

    /** The next candidate, or null when every address of the set has been offered once. */
    Candidate next() {
        while (true) {
            IpRange r = ranges.get(rangeIdx);
            if (cur == null) {
                cur = r.rangeStart();
                startIp = cur;
                if (cur.equals(r.gateway())) {
                    continue;
                }
                return new Candidate(cur, r);
            }
            if (cur.equals(r.rangeEnd())) {
                rangeIdx = (rangeIdx + 1) % ranges.size();
                r = ranges.get(rangeIdx);
                cur = r.rangeStart();
            } else {
                cur = cur.next();
            }
            if (startIp == null) {
                startIp = cur;
            } else if (cur.equals(startIp)) {
                return null;
            }
            if (cur.equals(r.gateway())) {
                continue;
            }
            return new Candidate(cur, r);
        }
    }
}
