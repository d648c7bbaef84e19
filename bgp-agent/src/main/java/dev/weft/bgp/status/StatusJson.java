package dev.weft.bgp.status;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.bgp.wire.Family;
import java.util.List;

/** The JSON of the status endpoints, shared by the server and weftctl so both read the same shape. */
public final class StatusJson {
    /** Records in and out; unknown fields are ignored so an older weftctl reads a newer agent. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    static {
        // ASCII only, so a reader may cut the stream anywhere without splitting a character
        MAPPER.getFactory().configure(JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(), true);
    }

    private StatusJson() {
    }

    /** GET /bgp/peers. */
    public record PeersDoc(long nowMillis, SpeakerView speaker, List<PeerView> peers) {
        public PeersDoc {
            peers = List.copyOf(peers);
        }
    }

    /**
     * GET /bgp/routes, as weftctl reads it back (the server streams it page by page).
     *
     * @param next the last prefix sent when a limit cut the dump short (pass it as after=), else null
     */
    public record RoutesDoc(long nowMillis, Family family, List<RouteView> routes, String next) {
        public RoutesDoc {
            routes = List.copyOf(routes);
        }
    }
}
