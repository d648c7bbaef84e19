package dev.weft.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErrnoTest {

    @Test
    void numbersMapToNamesAndNetlinkNegativesToo() {
        assertEquals(Errno.EEXIST, Errno.of(17));
        assertEquals(Errno.EEXIST, Errno.of(-17));
        assertEquals(Errno.ENOENT, Errno.of(2));
        assertEquals(Errno.EBUSY, Errno.of(16));
        assertEquals(Errno.UNKNOWN, Errno.of(4000));
    }

    @Test
    void aFailedCallCarriesTheErrnoOfThisThread() {
        // open(2) of a missing file through the real libc binding
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> ErrnoException.check(LibC.get().open("/nonexistent/wt-file", Linux.O_RDONLY, 0), "open"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        assertEquals(-1, LibC.get().if_nametoindex("wt-no-such-if") - 1, "if_nametoindex gives 0 for a missing name");
    }
}
