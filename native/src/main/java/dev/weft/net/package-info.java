/**
 * Address value types shared by every Weft module: {@link dev.weft.net.IpAddress},
 * {@link dev.weft.net.Cidr} and {@link dev.weft.net.MacAddress}. Pure JDK, no lookups, immutable,
 * and cheap enough for packet paths (IPv4 is an {@code int}, MACs are a {@code long}).
 */
package dev.weft.net;
