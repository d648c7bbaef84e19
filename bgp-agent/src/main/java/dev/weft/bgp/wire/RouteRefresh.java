package dev.weft.bgp.wire;

/**
 * ROUTE-REFRESH (RFC 2918) with the RFC 7313 subtype: 0 a request, 1 begin and 2 end of a
 * route refresh. AFI and SAFI are kept as sent, so a refresh for a family we do not carry can be
 * answered by ignoring it rather than by failing to decode it.
 */
public record RouteRefresh(int afi, int subtype, int safi) implements BgpMessage {
    public static final int REQUEST = 0;
    public static final int BEGIN = 1;
    public static final int END = 2;

    public static RouteRefresh request(Family f) {
        return new RouteRefresh(f.afi(), REQUEST, f.safi());
    }

    @Override
    public int type() {
        return TYPE_ROUTE_REFRESH;
    }
}
