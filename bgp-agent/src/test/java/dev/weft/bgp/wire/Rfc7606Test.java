package dev.weft.bgp.wire;

import static dev.weft.bgp.wire.UpdateAction.ACCEPT;
import static dev.weft.bgp.wire.UpdateAction.ATTRIBUTE_DISCARD;
import static dev.weft.bgp.wire.UpdateAction.TREAT_AS_WITHDRAW;
import static dev.weft.bgp.wire.WireFixtures.AS4;
import static dev.weft.bgp.wire.WireFixtures.hex;
import static dev.weft.bgp.wire.WireFixtures.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Malformed UPDATEs and the action RFC 7606 prescribes for each (section numbers of RFC 7606 unless said otherwise). */
class Rfc7606Test {
    private static final String ORIGIN = "40 01 01 00";
    private static final String AS_PATH = "40 02 06 02 01 0000fc00";
    private static final String NEXT_HOP = "40 03 04 0a630001";
    private static final String MANDATORY = ORIGIN + AS_PATH + NEXT_HOP;
    private static final String NLRI = "1a 0af40100";
    private static final Nlri PREFIX = Nlri.of(Cidr.parse("10.244.1.0/26"));
    private static final String MP_REACH_V6 = "90 0e 001e 0002 01 10 fd000099000000000000000000000001 00 40 fd00024400010000";
    private static final Nlri PREFIX_V6 = Nlri.of(Cidr.parse("fd00:244:1::/64"));

    // ---- treat-as-withdraw

    @Test
    void badOriginValue() throws Exception { // §7.1
        DecodedUpdate d = decode("40 01 01 03" + AS_PATH + NEXT_HOP, NLRI);
        assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.ORIGIN, 6);
        assertWithdraws(d, List.of(PREFIX));
    }

    @Test
    void badOriginLength() throws Exception {
        assertOutcome(decode("40 01 02 0000" + AS_PATH + NEXT_HOP, NLRI), TREAT_AS_WITHDRAW, PathAttribute.ORIGIN, 5);
    }

    @Test
    void asPathBadSegmentTypeOverrunUnderrunAndEmptySegment() throws Exception { // §7.2
        for (String asPath : List.of("40 02 06 05 01 0000fc00", "40 02 06 02 02 0000fc00", "40 02 07 02 01 0000fc00 02",
                "40 02 08 02 01 0000fc00 0200")) {
            DecodedUpdate d = decode(ORIGIN + asPath + NEXT_HOP, NLRI);
            assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.AS_PATH, 11);
            assertWithdraws(d, List.of(PREFIX));
        }
    }

    @Test
    void twoOctetAsPathReadOnAFourOctetSessionIsMalformed() throws Exception {
        assertOutcome(decode(ORIGIN + "40 02 04 02 01 fc00" + NEXT_HOP, NLRI), TREAT_AS_WITHDRAW, PathAttribute.AS_PATH, 11);
    }

    @Test
    void missingWellKnownMandatory() throws Exception { // §3 d
        assertOutcome(decode(AS_PATH + NEXT_HOP, NLRI), TREAT_AS_WITHDRAW, PathAttribute.ORIGIN, 3);
        assertOutcome(decode(ORIGIN + NEXT_HOP, NLRI), TREAT_AS_WITHDRAW, PathAttribute.AS_PATH, 3);
        assertOutcome(decode(ORIGIN + AS_PATH, NLRI), TREAT_AS_WITHDRAW, PathAttribute.NEXT_HOP, 3);
        // MP_REACH alone needs ORIGIN and AS_PATH, not NEXT_HOP (RFC 4760 §3)
        assertEquals(ACCEPT, decode(MP_REACH_V6 + ORIGIN + AS_PATH, "").action());
        DecodedUpdate d = decode(MP_REACH_V6 + ORIGIN, "");
        assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.AS_PATH, 3);
        assertEquals(Optional.of(new Update(List.of(), List.of(new PathAttribute.MpUnreach(Family.IPV6_UNICAST, List.of(PREFIX_V6))),
                List.of())), d.forRib());
    }

    @Test
    void badLengthOfFixedSizeAttributes() throws Exception { // §7.3, §7.4, §7.5, §7.9
        assertOutcome(decode(ORIGIN + AS_PATH + "40 03 05 0a63000100", NLRI), TREAT_AS_WITHDRAW, PathAttribute.NEXT_HOP, 5);
        assertOutcome(decode(MANDATORY + "80 04 03 000000", NLRI), TREAT_AS_WITHDRAW, PathAttribute.MULTI_EXIT_DISC, 5);
        assertOutcome(decode(MANDATORY + "40 05 05 0000000064", NLRI), TREAT_AS_WITHDRAW, PathAttribute.LOCAL_PREF, 5);
        assertOutcome(decode(MANDATORY + "80 09 03 0a0a0a", NLRI), TREAT_AS_WITHDRAW, PathAttribute.ORIGINATOR_ID, 5);
    }

    @Test
    void badLengthOfListAttributes() throws Exception { // §7.8, §7.10, §7.14, RFC 8092 §6
        assertOutcome(decode(MANDATORY + "c0 08 05 ffffff0100", NLRI), TREAT_AS_WITHDRAW, PathAttribute.COMMUNITIES, 5);
        assertOutcome(decode(MANDATORY + "c0 08 00", NLRI), TREAT_AS_WITHDRAW, PathAttribute.COMMUNITIES, 5);
        assertOutcome(decode(MANDATORY + "80 0a 00", NLRI), TREAT_AS_WITHDRAW, PathAttribute.CLUSTER_LIST, 5);
        assertOutcome(decode(MANDATORY + "c0 10 07 00000000000000", NLRI), TREAT_AS_WITHDRAW, PathAttribute.EXTENDED_COMMUNITIES, 5);
        assertOutcome(decode(MANDATORY + "c0 20 0b 0000000000000000000000", NLRI), TREAT_AS_WITHDRAW,
                PathAttribute.LARGE_COMMUNITIES, 5);
    }

    @Test
    void badFlags() throws Exception { // §3 c
        DecodedUpdate d = decode("c0 01 01 00" + AS_PATH + NEXT_HOP, NLRI);
        assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.ORIGIN, 4);
        assertOutcome(decode(MANDATORY + "40 04 04 00000000", NLRI), TREAT_AS_WITHDRAW, PathAttribute.MULTI_EXIT_DISC, 4);
        // AGGREGATOR sent well-known: its malformed action is discard
        assertOutcome(decode(MANDATORY + "40 07 08 0000fc00 0a000001", NLRI), ATTRIBUTE_DISCARD, PathAttribute.AGGREGATOR, 4);
        // the Partial and Extended Length bits do not make a well-known attribute malformed
        assertEquals(ACCEPT, decode("70 01 0001 00" + AS_PATH + NEXT_HOP, NLRI).action());
    }

    @Test
    void invalidNextHop() throws Exception { // §7.3, RFC 4271 §6.3
        for (String nh : List.of("00000000", "e0000001", "ffffffff", "00010203")) {
            DecodedUpdate d = decode(ORIGIN + AS_PATH + "40 03 04 " + nh, NLRI);
            assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.NEXT_HOP, 8);
            assertWithdraws(d, List.of(PREFIX));
        }
    }

    @Test
    void nextHopWithoutIpv4NlriIsOnlyDiscarded() throws Exception { // RFC 4760 §3: ignored when only MP_REACH announces
        DecodedUpdate d = decode(MP_REACH_V6 + ORIGIN + AS_PATH + "40 03 04 00000000", "");
        assertOutcome(d, ATTRIBUTE_DISCARD, PathAttribute.NEXT_HOP, 8);
        assertEquals(List.of(PREFIX_V6), d.forRib().orElseThrow().announced());
    }

    @Test
    void invalidMpNextHopWithdrawsTheMpPrefixes() throws Exception {
        String multicast = MP_REACH_V6.replace("fd000099000000000000000000000001", "ff020000000000000000000000000001");
        DecodedUpdate d = decode(multicast + ORIGIN + AS_PATH, "");
        assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.MP_REACH_NLRI, 8);
        assertWithdraws(d, List.of(PREFIX_V6));
    }

    @Test
    void attributeOverrunningTheBlock() throws Exception { // §4
        // the last attribute claims 9 octets, 4 remain: treat-as-withdraw, NLRI still found by the total length
        DecodedUpdate d = decode(MANDATORY + "c0 08 09 ffffff01", NLRI);
        assertOutcome(d, TREAT_AS_WITHDRAW, PathAttribute.COMMUNITIES, 5);
        assertWithdraws(d, List.of(PREFIX));
        // fewer than 3 octets left for an attribute header
        assertOutcome(decode(MANDATORY + "c0 08", NLRI), TREAT_AS_WITHDRAW, 0, 1);
        assertOutcome(decode(MANDATORY + "d0 08 00", NLRI), TREAT_AS_WITHDRAW, 0, 1);
    }

    @Test
    void withdrawCarriesMpReachAndMpUnreachPrefixesAndIpv4Ones() throws Exception {
        DecodedUpdate d = decode("800f 0a 0002 01 30 fd0000990000 " + MP_REACH_V6 + "40 01 01 07" + AS_PATH + NEXT_HOP, NLRI);
        assertEquals(TREAT_AS_WITHDRAW, d.action());
        Update w = d.forRib().orElseThrow();
        assertEquals(List.of(PREFIX), w.withdrawn());
        assertEquals(List.of(), w.nlri());
        assertEquals(List.of(Nlri.of(Cidr.parse("fd00:99::/48")), PREFIX_V6), w.allWithdrawn().subList(1, 3));
        assertEquals(List.of(), w.announced());
    }

    @Test
    void withdrawWithNoPrefixesGivesTheRibNothing() throws Exception {
        DecodedUpdate d = decode("40 01 01 07", "");
        assertEquals(TREAT_AS_WITHDRAW, d.action());
        assertEquals(Optional.empty(), d.forRib());
    }

    // ---- attribute discard

    @Test
    void malformedInformationalAttributesAreDiscarded() throws Exception { // §7.6, §7.7, RFC 6793 §6
        DecodedUpdate d = decode(MANDATORY + "40 06 01 00", NLRI);
        assertOutcome(d, ATTRIBUTE_DISCARD, PathAttribute.ATOMIC_AGGREGATE, 5);
        assertEquals(List.of(PREFIX), d.forRib().orElseThrow().nlri());
        assertEquals(3, d.update().attributes().size());
        assertOutcome(decode(MANDATORY + "c0 07 06 fc00 0a000001", NLRI), ATTRIBUTE_DISCARD, PathAttribute.AGGREGATOR, 5);
        // AS4_* only count from a 2-octet speaker
        String mandatory2 = ORIGIN + "40 02 04 02 01 fc00" + NEXT_HOP;
        assertOutcome(decodeOld(mandatory2 + "c0 12 06 fc00 0a000001", NLRI), ATTRIBUTE_DISCARD, PathAttribute.AS4_AGGREGATOR, 5);
        assertOutcome(decodeOld(mandatory2 + "c0 11 05 02 01 0000fc", NLRI), ATTRIBUTE_DISCARD, PathAttribute.AS4_PATH, 11);
        assertOutcome(decodeOld(mandatory2 + "c0 11 04 02 00 0000", NLRI), ATTRIBUTE_DISCARD, PathAttribute.AS4_PATH, 11);
    }

    @Test
    void repeatedAttributeKeepsTheFirst() throws Exception { // §3 g
        DecodedUpdate d = decode(MANDATORY + "40 01 01 02", NLRI);
        assertOutcome(d, ATTRIBUTE_DISCARD, PathAttribute.ORIGIN, 1);
        assertEquals(Optional.of(new PathAttribute.Origin(0)), d.update().attribute(PathAttribute.Origin.class));
        assertEquals(List.of(PREFIX), d.update().nlri());
    }

    // ---- accepted

    @Test
    void attributesWithoutNlriAreFine() throws Exception {
        DecodedUpdate d = decode(ORIGIN + AS_PATH + "40 05 04 00000064", "");
        assertEquals(ACCEPT, d.action());
        assertEquals(Optional.empty(), d.update().endOfRibFamily());
    }

    @Test
    void unknownOptionalAttributes() throws Exception {
        DecodedUpdate d = decode(MANDATORY + "80 63 02 abcd" + "e0 64 01 ef", NLRI);
        assertEquals(ACCEPT, d.action());
        // non-transitive dropped silently, transitive kept with its flags (Partial included)
        assertEquals(new PathAttribute.Unknown(0xe0, 100, Octets.ofHex("ef")), d.update().attributes().get(3));
        assertEquals(4, d.update().attributes().size());
    }

    @Test
    void as4AttributesFromAFourOctetSpeakerAreIgnored() throws Exception { // RFC 6793 §4.1
        String as4 = "c0 11 06 02 01 fa56ea00" + "c0 12 08 fa56ea00 0a000001";
        DecodedUpdate d = decode(MANDATORY + as4, NLRI);
        assertEquals(ACCEPT, d.action());
        assertEquals(3, d.update().attributes().size());
        DecodedUpdate old = decodeOld(ORIGIN + "40 02 04 02 01 5ba0" + NEXT_HOP + as4, NLRI);
        assertEquals(List.of(new AsPathSegment(2, List.of(4_200_000_000L))),
                old.update().attribute(PathAttribute.As4Path.class).orElseThrow().segments());
        assertEquals(4_200_000_000L, old.update().attribute(PathAttribute.As4Aggregator.class).orElseThrow().as());
    }

    @Test
    void mpAttributeOfAFamilyNotCarriedIsKeptOpaque() throws Exception {
        DecodedUpdate d = decode("80 0f 03 0001 80", "");
        assertEquals(ACCEPT, d.action());
        assertEquals(List.of(new PathAttribute.Unknown(0x80, 15, Octets.ofHex("000180"))), d.update().attributes());
        assertEquals(Optional.empty(), d.update().endOfRibFamily());
    }

    // ---- session reset

    @Test
    void truncatedOrInvalidNlriResets() { // §5.3
        assertReset(MANDATORY, "1a 0af401", 10);
        assertReset(MANDATORY, "21 0af4010000", 10);
        assertReset(message(2, "0004 1a 0af401 0000"), 10);
    }

    @Test
    void mpReachOrUnreachUnparsableResets() { // §7.11
        assertReset(MP_REACH_V6.replace("001e 0002 01 10", "001e 0002 01 11") + ORIGIN + AS_PATH, "", 9);
        assertReset("90 0e 001d 0002 01 10 fd000099000000000000000000000001 00 40 fd000244000100" + ORIGIN + AS_PATH, "", 9);
        assertReset("80 0f 04 0002 01 81", "", 9);
        assertReset("80 0f 02 0002", "", 9);
        assertReset("80 0e 04 0001 01 04", "", 9);
        // MP flags wrong
        assertReset(MP_REACH_V6.replace("90 0e", "d0 0e") + ORIGIN + AS_PATH, "", 4);
    }

    @Test
    void repeatedMpAttributeResets() { // §3 e
        assertReset("80 0f 03 0002 01 80 0f 03 0002 01", "", 1);
        assertReset(MP_REACH_V6 + MP_REACH_V6 + ORIGIN + AS_PATH, "", 1);
    }

    @Test
    void mpAttributeOverrunningTheBlockResets() {
        assertReset(MANDATORY + "80 0f 09 0002 01", "", 1);
    }

    @Test
    void lengthsOverrunningTheMessageReset() { // RFC 4271 §6.3
        assertReset(message(2, "0005 0000"), 1);
        assertReset(message(2, "0000 0005 400101"), 1);
    }

    @Test
    void unrecognizedWellKnownResetsWithTheAttributeAsData() {
        BgpWireException e = assertThrows(BgpWireException.class, () -> decode(MANDATORY + "40 63 02 abcd", NLRI));
        assertEquals(new Notification(3, 2, Octets.ofHex("4063 02 abcd")), e.notification());
    }

    private static DecodedUpdate decode(String attrs, String nlri) throws BgpWireException {
        return WireFixtures.decodeUpdate(update(attrs, nlri), AS4);
    }

    private static DecodedUpdate decodeOld(String attrs, String nlri) throws BgpWireException {
        return WireFixtures.decodeUpdate(update(attrs, nlri), CodecContext.INITIAL);
    }

    static byte[] update(String attrs, String nlri) {
        byte[] a = hex(attrs);
        return message(2, "0000" + String.format("%04x", a.length) + WireFixtures.hexOf(a) + nlri);
    }

    private static void assertOutcome(DecodedUpdate d, UpdateAction action, int typeCode, int subcode) {
        assertEquals(action, d.action(), d.errors()::toString);
        assertTrue(d.errors().stream().anyMatch(e -> e.typeCode() == typeCode && e.subcode() == subcode && e.action() == action),
                d.errors()::toString);
    }

    /** Under treat-as-withdraw the RIB gets exactly these prefixes withdrawn and nothing announced. */
    private static void assertWithdraws(DecodedUpdate d, List<Nlri> prefixes) {
        Update w = d.forRib().orElseThrow();
        assertEquals(prefixes, w.allWithdrawn());
        assertEquals(List.of(), w.announced());
    }

    private static void assertReset(String attrs, String nlri, int subcode) {
        assertReset(update(attrs, nlri), subcode);
    }

    private static void assertReset(byte[] frame, int subcode) {
        BgpWireException e = assertThrows(BgpWireException.class, () -> WireFixtures.decodeUpdate(frame, AS4));
        assertEquals(3, e.notification().code(), e.getMessage());
        assertEquals(subcode, e.notification().subcode(), e.getMessage());
    }
}
