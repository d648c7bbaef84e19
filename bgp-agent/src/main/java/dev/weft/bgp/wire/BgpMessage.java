package dev.weft.bgp.wire;

/**
 * A BGP-4 message (RFC 4271 §4) as an immutable value. The codec turns frames into these and back;
 * nothing here does I/O or knows about sessions.
 */
public sealed interface BgpMessage permits Open, Update, Notification, Keepalive, RouteRefresh {
    int TYPE_OPEN = 1;
    int TYPE_UPDATE = 2;
    int TYPE_NOTIFICATION = 3;
    int TYPE_KEEPALIVE = 4;
    int TYPE_ROUTE_REFRESH = 5;

    /** The header's type octet. */
    int type();
}
