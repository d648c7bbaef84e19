package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failed ADD's undos run newest first, each on its own; their failures ride on the cause. */
class UndoStackTest {

    @Test
    void undosRunNewestFirstAndAFailingOneDoesNotStopTheRest() {
        List<String> ran = new ArrayList<>();
        UndoStack undo = new UndoStack();
        undo.push(() -> ran.add("release addresses"));
        undo.push(() -> {
            ran.add("delete veth");
            throw new IllegalStateException("veth busy");
        });
        undo.push(() -> ran.add("tear down masquerade"));
        RuntimeException cause = new RuntimeException("gateway address conflict");
        undo.unwind(cause);
        assertEquals(List.of("tear down masquerade", "delete veth", "release addresses"), ran);
        assertEquals(1, cause.getSuppressed().length);
        assertEquals("veth busy", cause.getSuppressed()[0].getMessage());
        undo.unwind(cause);
        assertEquals(3, ran.size(), "unwinding empties the stack: nothing runs twice");
    }
}
