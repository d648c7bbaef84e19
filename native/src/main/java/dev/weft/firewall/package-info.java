/**
 * The firewall toolkit the CNI masquerade and weftd's traffic rules share: reading
 * {@code iptables-save} ({@link dev.weft.firewall.IptablesSave}, {@link dev.weft.firewall.SavedTable}),
 * one rule type ({@link dev.weft.firewall.IptablesRule}) that renders as save prints and tokenizes as
 * restore reads, the {@code iptables-restore --noflush} transaction ({@link dev.weft.firewall.RestoreScript},
 * {@link dev.weft.firewall.Iptables}), the {@code nft} runner ({@link dev.weft.firewall.Nft}) and its
 * text listings ({@link dev.weft.firewall.NftListing}), and the address family ({@link dev.weft.firewall.IpFamily}).
 * What rules to want is each user's own policy.
 */
package dev.weft.firewall;
