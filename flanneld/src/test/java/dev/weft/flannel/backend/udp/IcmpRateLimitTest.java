package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The net-unreachable token bucket, on a clock of its own. */
class IcmpRateLimitTest {
    private static int granted(IcmpRateLimit l, long now, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            if (l.tryAcquire(now)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aBurstThenTheRate() {
        IcmpRateLimit l = new IcmpRateLimit();
        long t = 5_000_000_000L;
        assertEquals(IcmpRateLimit.BURST, granted(l, t, 10_000), "a burst at one instant");
        assertFalse(l.tryAcquire(t + 999_999), "less than a token's time later");
        assertTrue(l.tryAcquire(t + 1_000_000), "one token per millisecond");
        // a second later: 1000 tokens earned, but the bucket holds only the burst
        assertEquals(IcmpRateLimit.BURST, granted(l, t + 1_001_000_000L, 10_000));
        // a steady flood of 10 per millisecond for 100 ms gets 1 per millisecond
        long start = t + 2_000_000_000L;
        int got = granted(l, start, 10_000);
        for (int ms = 1; ms <= 100; ms++) {
            got += granted(l, start + ms * 1_000_000L, 10);
        }
        assertEquals(IcmpRateLimit.BURST + 100, got);
    }

    @Test
    void aClockThatStepsBackGrantsNothingExtra() {
        IcmpRateLimit l = new IcmpRateLimit();
        assertEquals(IcmpRateLimit.BURST, granted(l, 10_000_000_000L, 1000));
        assertEquals(0, granted(l, 9_000_000_000L, 1000));
    }
}
