package dev.weft.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesUpToMaxAndStartsOverAfterReset() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(500));
        assertEquals(100, b.nextMillis());
        assertEquals(200, b.nextMillis());
        assertEquals(400, b.nextMillis());
        assertEquals(500, b.nextMillis());
        assertEquals(500, b.nextMillis());
        b.reset();
        assertEquals(100, b.nextMillis());
        assertEquals(500, b.maxMillis());
    }

    @Test
    void refusesAZeroMinOrAMaxBelowMin() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
}
