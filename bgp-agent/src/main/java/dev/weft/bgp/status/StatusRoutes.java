package dev.weft.bgp.status;

import dev.weft.bgp.status.StatusServer.Exposure;
import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Which answer a request path gets; the answers are rendered here, the streaming is {@link StatusExchange}'s. */
final class StatusRoutes {
    static final String JSON = "application/json";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";

    /** What to send back. */
    sealed interface Answer permits Fixed, RouteStream {
    }

    record Fixed(HttpResponseStatus status, String contentType, String body) implements Answer {
        static Fixed text(HttpResponseStatus status, String body) {
            return new Fixed(status, TEXT, body);
        }
    }

    /**
     * A Loc-RIB dump, streamed a page at a time.
     *
     * @param after exclusive start, null from the first prefix
     * @param limit most prefixes to send
     */
    record RouteStream(Family family, Cidr after, long limit) implements Answer {
    }

    private final StatusSource source;
    private final Exposure exposure;
    private final StatusServer.Limits limits;
    private final Clock clock;

    StatusRoutes(StatusSource source, Exposure exposure, StatusServer.Limits limits, Clock clock) {
        this.source = source;
        this.exposure = exposure;
        this.limits = limits;
        this.clock = clock;
    }

    StatusSource source() {
        return source;
    }

    int pageSize() {
        return limits.pageSize();
    }

    Clock clock() {
        return clock;
    }

    /** The answer to GET {@code uri} (the request line is already bounded by the decoder). */
    CompletionStage<Answer> answer(String uri) {
        QueryStringDecoder q = new QueryStringDecoder(uri);
        String path = q.path();
        boolean full = exposure == Exposure.FULL;
        return switch (path) {
            case "/healthz" -> done(Fixed.text(HttpResponseStatus.OK, "weft-bgp is running\n"));
            case "/metrics" -> source.speaker().thenCompose(s -> source.peers().thenApply(
                    peers -> new Fixed(HttpResponseStatus.OK, PROMETHEUS, BgpMetrics.render(s, peers, clock.millis()))));
            case "/bgp/peers" -> full ? peers() : notFound();
            case "/bgp/routes" -> full ? done(routes(q)) : notFound();
            default -> notFound();
        };
    }

    private CompletionStage<Answer> peers() {
        return source.speaker().thenCompose(s -> source.peers().thenApply(peers -> {
            StatusJson.PeersDoc doc = new StatusJson.PeersDoc(clock.millis(), s, peers);
            try {
                return new Fixed(HttpResponseStatus.OK, JSON, StatusJson.MAPPER.writeValueAsString(doc) + "\n");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    private static Answer routes(QueryStringDecoder q) {
        Optional<Family> family = FamilyLabel.parse(param(q, "family", "ipv4"));
        if (family.isEmpty()) {
            return Fixed.text(HttpResponseStatus.BAD_REQUEST, "family must be ipv4 or ipv6\n");
        }
        Cidr after = null;
        String a = param(q, "after", "");
        if (!a.isEmpty()) {
            try {
                after = Cidr.parse(a);
            } catch (IllegalArgumentException e) {
                return Fixed.text(HttpResponseStatus.BAD_REQUEST, "after must be a prefix\n");
            }
            if (after.isV6() != family.get().isV6()) {
                return Fixed.text(HttpResponseStatus.BAD_REQUEST, "after is not of the family\n");
            }
        }
        long limit = Long.MAX_VALUE;
        String l = param(q, "limit", "");
        if (!l.isEmpty()) {
            try {
                limit = Long.parseLong(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1) {
                return Fixed.text(HttpResponseStatus.BAD_REQUEST, "limit must be a positive number\n");
            }
        }
        return new RouteStream(family.get(), after, limit);
    }

    private static String param(QueryStringDecoder q, String name, String dflt) {
        List<String> v = q.parameters().get(name);
        return v == null || v.isEmpty() ? dflt : v.get(0);
    }

    private static CompletionStage<Answer> notFound() {
        return done(Fixed.text(HttpResponseStatus.NOT_FOUND, "not found\n"));
    }

    private static CompletionStage<Answer> done(Answer a) {
        return CompletableFuture.completedFuture(a);
    }
}
