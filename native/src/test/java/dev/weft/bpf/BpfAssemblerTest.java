package dev.weft.bpf;

import static dev.weft.bpf.BpfAssembler.FP;
import static dev.weft.bpf.BpfAssembler.R0;
import static dev.weft.bpf.BpfAssembler.R1;
import static dev.weft.bpf.BpfAssembler.R2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The encodings checked against the kernel's own (the byte strings are what
 * {@code llvm-objdump -d} prints for the same instructions compiled from C, and the opcode table of
 * Documentation/bpf/standardization/instruction-set.rst).
 */
class BpfAssemblerTest {

    private static String hex(List<Insn> p) {
        return HexFormat.of().formatHex(BpfAssembler.encode(p));
    }

    @Test
    void encodesMovesLoadsStoresCallsAndExit() {
        List<Insn> p = new BpfAssembler()
                .movImm(R0, 2)                                    // b7 00 00 00 02 00 00 00
                .mov(BpfAssembler.R6, R1)                         // bf 16 00 00 00 00 00 00
                .load(BpfAssembler.Size.W, R2, R1, 16)            // 61 12 10 00 00 00 00 00
                .store(BpfAssembler.Size.H, FP, -4, R2)           // 6b 2a fc ff 00 00 00 00
                .storeImm(BpfAssembler.Size.B, FP, -1, 0x45)      // 72 0a ff ff 45 00 00 00
                .aluImm(BpfAssembler.Alu.AND, R2, 0xffff)         // 57 02 00 00 ff ff 00 00
                .toBigEndian(R2, 16)                              // dc 02 00 00 10 00 00 00
                .call(Helper.SKB_ADJUST_ROOM)                     // 85 00 00 00 32 00 00 00
                .exit()                                           // 95 00 00 00 00 00 00 00
                .assemble();
        assertEquals("b700000002000000" + "bf16000000000000" + "6112100000000000" + "6b2afcff00000000"
                + "720affff45000000" + "57020000ffff0000" + "dc02000010000000" + "8500000032000000" + "9500000000000000", hex(p));
    }

    @Test
    void wideLoadsTakeTwoSlotsAndMapsAreMarkedPseudo() {
        List<Insn> p = new BpfAssembler().loadImm64(R1, 0x1122334455667788L).loadMap(R1, 7).assemble();
        assertEquals("1801000088776655" + "0000000044332211" + "1811000007000000" + "0000000000000000", hex(p));
    }

    @Test
    void jumpsResolveLabelsForwardAndBack() {
        List<Insn> p = new BpfAssembler()
                .label("top")
                .jumpImm(BpfAssembler.Jmp.JNE, R0, 4, "out")  // skips the next two: off +2
                .movImm(R0, 1)
                .jumpAlways("top")                            // back to 0 from 2: off -3
                .label("out")
                .exit()
                .assemble();
        assertEquals(2, p.get(0).off());
        assertEquals(-3, p.get(2).off());
        assertEquals("5500020004000000", HexFormat.of().formatHex(BpfAssembler.encode(List.of(p.get(0)))));
    }

    @Test
    void anUndefinedOrDuplicateLabelIsAnError() {
        assertThrows(IllegalStateException.class, () -> new BpfAssembler().jumpAlways("nowhere").assemble());
        assertThrows(IllegalStateException.class, () -> new BpfAssembler().label("a").label("a"));
        assertThrows(IllegalArgumentException.class, () -> new Insn(0x100, 0, 0, 0, 0));
        assertArrayEquals(new byte[0], BpfAssembler.encode(List.of()));
    }
}
