package dev.weft.bgp.status;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.weft.bgp.status.StatusRoutes.Answer;
import dev.weft.bgp.status.StatusRoutes.Fixed;
import dev.weft.bgp.status.StatusRoutes.RouteStream;
import dev.weft.net.Cidr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One connection: reads one request, answers it, streams a route dump page by page, and closes the
 * connection when the client is too slow (see {@link #checkProgress()}).
 */
final class StatusExchange extends ChannelInboundHandlerAdapter {
    /** Most bytes a client may send on one connection (see StatusServer's InboundBudget). */
    static final int MAX_INBOUND_BYTES = 64 * 1024;

    private final StatusRoutes routes;
    private final Duration deadline;
    private ChannelHandlerContext ctx;
    private boolean requestSeen;
    private boolean streaming;
    /** Pages written; the deadline check compares it with {@link #progressAtLastCheck}. */
    private long progress;
    private long progressAtLastCheck;

    StatusExchange(StatusRoutes routes, Duration deadline) {
        this.routes = routes;
        this.deadline = deadline;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Runs on the loop every deadline: closes the connection unless a route stream wrote a page
     * since the last check. So the request must arrive within one deadline (a slowloris is cut
     * however it trickles), a fixed answer has one deadline to be read, and a stream lives as long
     * as each page drains within one.
     */
    void checkProgress() {
        if (streaming && progress != progressAtLastCheck) {
            progressAtLastCheck = progress;
            ctx.executor().schedule(this::checkProgress, deadline.toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (requestSeen || !(msg instanceof HttpRequest req)) {
                return; // a body or a second request: drained, never served
            }
            requestSeen = true;
            Fixed refused = refusal(req);
            if (refused != null) {
                respond(refused);
                return;
            }
            routes.answer(req.uri()).whenComplete((answer, error) -> ctx.executor().execute(() -> {
                if (error != null) {
                    respond(Fixed.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "the agent did not answer: " + error + "\n"));
                } else {
                    start(answer);
                }
            }));
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static Fixed refusal(HttpRequest req) {
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            if (cause instanceof TooLongHttpHeaderException) {
                return Fixed.text(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large\n");
            }
            if (cause instanceof TooLongHttpLineException) {
                return Fixed.text(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long\n");
            }
            return Fixed.text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
        }
        if (!req.method().equals(HttpMethod.GET)) {
            return Fixed.text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
        }
        if (HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req)) {
            return Fixed.text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "no request body is accepted\n");
        }
        return null;
    }

    private void start(Answer answer) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (answer instanceof RouteStream s) {
            stream(s);
        } else {
            respond((Fixed) answer);
        }
    }

    private void respond(Fixed f) {
        ByteBuf body = Unpooled.wrappedBuffer(f.body().getBytes(StandardCharsets.UTF_8));
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, f.status(), body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (f.status().equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
            r.headers().set(HttpHeaderNames.ALLOW, "GET");
        }
        ctx.writeAndFlush(r).addListener(this::finish);
    }

    /**
     * After the answer, half-close and read on until the client closes or the deadline passes:
     * closing with the client's bytes unread would send a reset that can destroy the answer.
     */
    private void finish(io.netty.util.concurrent.Future<? super Void> f) {
        streaming = false;
        if (f.isSuccess() && ctx.channel() instanceof DuplexChannel d) {
            d.shutdownOutput();
        } else {
            ctx.close();
        }
    }

    // ------------------------------------------------------------------ route streams

    /** Close-delimited (no Content-Length), so any HTTP/1.x client reads it to the end. */
    private void stream(RouteStream s) {
        streaming = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, StatusRoutes.JSON)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.write(head);
        String open = "{\"nowMillis\":" + routes.clock().millis() + ",\"family\":\"" + s.family().name()
                + "\",\"routes\":[";
        write(Unpooled.copiedBuffer(open, StandardCharsets.UTF_8), () -> nextPage(s, s.after(), s.limit(), true));
    }

    private void nextPage(RouteStream s, Cidr after, long remaining, boolean first) {
        int ask = (int) Math.min(routes.pageSize(), remaining);
        routes.source().routes(s.family(), after, ask).whenComplete((page, error) -> ctx.executor().execute(() -> {
            if (error != null || !ctx.channel().isActive()) {
                ctx.close(); // the JSON is left unterminated, so a reader cannot mistake it for the whole table
                return;
            }
            int n = Math.min(ask, page.routes().size());
            ByteBuf buf = ctx.alloc().buffer(n * 256 + 64);
            Cidr last = after;
            try (ByteBufOutputStream out = new ByteBufOutputStream(buf);
                 JsonGenerator g = StatusJson.MAPPER.createGenerator((java.io.OutputStream) out)) {
                for (int i = 0; i < n; i++) {
                    RouteView r = page.routes().get(i);
                    if (!(first && i == 0)) {
                        g.writeRaw(',');
                    }
                    StatusJson.MAPPER.writeValue(g, r);
                    g.flush();
                    last = Cidr.parse(r.prefix());
                }
            } catch (IOException e) {
                buf.release();
                throw new UncheckedIOException(e);
            }
            progress++;
            long left = remaining - n;
            boolean more = page.more() && n > 0;
            Cidr cursor = last;
            if (more && left > 0) {
                write(buf, () -> nextPage(s, cursor, left, first && n == 0));
            } else {
                String next = more ? "\"" + cursor + "\"" : "null";
                buf.writeCharSequence("],\"next\":" + next + "}\n", StandardCharsets.UTF_8);
                ctx.writeAndFlush(new DefaultLastHttpContent(buf)).addListener(this::finish);
            }
        }));
    }

    /** Writes a page and asks for the next only once this one is on its way: one page in memory. */
    private void write(ByteBuf buf, Runnable then) {
        ctx.writeAndFlush(new DefaultHttpContent(buf)).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                then.run();
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // mostly a reset by the client; nothing to answer
    }
}
