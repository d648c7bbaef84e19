package dev.weft.bgp.wire;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a session negotiated that changes the encoding (the only state the codec sees): 4-octet AS
 * numbers (RFC 6793), ADD-PATH per family and direction (RFC 7911) and extended messages (RFC 8654).
 * Before the OPENs are exchanged use {@link #INITIAL}.
 */
public record CodecContext(boolean fourOctetAs, Set<Family> addPathReceive, Set<Family> addPathSend,
                           boolean extendedMessage) {
    public static final int MAX_MESSAGE = 4096;
    public static final int MAX_EXTENDED_MESSAGE = 65535;
    public static final CodecContext INITIAL = new CodecContext(false, Set.of(), Set.of(), false);

    public CodecContext {
        addPathReceive = addPathReceive.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(addPathReceive));
        addPathSend = addPathSend.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(addPathSend));
    }

    /** The largest message either side may send on this session. */
    public int maxMessageLength() {
        return extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE;
    }
}
