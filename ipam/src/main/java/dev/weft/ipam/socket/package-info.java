/**
 * The request/response protocol between the {@code weft-ipam} CNI plugin and weftd, over weftd's
 * root-only Unix socket ({@code /run/weft/cni.sock}): each message is a 4-byte big-endian length
 * and that many bytes of UTF-8 JSON, at most {@link dev.weft.ipam.socket.IpamFrame#MAX_BYTES}.
 * One request, one response, on a connection the plugin then closes; a request the daemon cannot
 * read (too long, not JSON, unknown op) gets an error response and the connection is closed.
 *
 * <p>Both sides share these types, so the plugin never needs etcd and the daemon never needs the
 * CNI spec types.
 */
package dev.weft.ipam.socket;
