package dev.weft.bgp.wire;

/** KEEPALIVE: the bare header. One instance is enough. */
public record Keepalive() implements BgpMessage {
    public static final Keepalive INSTANCE = new Keepalive();

    @Override
    public int type() {
        return TYPE_KEEPALIVE;
    }
}
