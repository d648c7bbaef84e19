package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KeepaliveLatenessTest {
    static final long S = 1_000_000_000L;

    @Test
    void lateMeansMoreThanAThirdOfTheIntervalAfterDue() {
        KeepaliveLateness k = new KeepaliveLateness();
        k.sent(30 * S, 30 * S, 30 * S);            // on time
        k.sent(60 * S, 70 * S, 30 * S);            // exactly a third late: not counted
        k.sent(90 * S, 100 * S + 1, 30 * S);       // just over a third
        k.sent(120 * S, 120 * S + S / 2, 30 * S);  // half a second: fine
        assertEquals(new KeepaliveStats(4, 1, 10.000000001), k.snapshot());
    }
}
