/**
 * flannel's masquerade ({@code -ip-masq}) and forward-accept ({@code -iptables-forward-rules}) rules
 * with Weft's names: nat chain {@code WEFT-POSTRTG}, filter chain {@code WEFT-FWD}, comments
 * {@code "weftd masq"} and {@code "weftd forward"}, for IPv4 and IPv6.
 *
 * <ul>
 *   <li>{@link dev.weft.flannel.rules.RuleSet}: the rules wanted, computed from the Network, the
 *       lease subnet and the flags.</li>
 *   <li>{@link dev.weft.flannel.rules.TrafficRules}: install / check / remove them in one firewall back
 *       end, {@link dev.weft.flannel.rules.IptablesRules} or {@link dev.weft.flannel.rules.NftablesRules}
 *       (net-conf {@code EnableNFTables}); {@code select} cleans up the other one at start.</li>
 *   <li>{@link dev.weft.flannel.rules.RulesKeeper}: installs, then re-checks every
 *       {@code -iptables-resync} seconds and reinstalls what went missing.</li>
 * </ul>
 * The tools are driven through the firewall toolkit ({@code dev.weft.firewall}), shared with the
 * CNI masquerade; only what rules to want lives here.
 */
package dev.weft.flannel.rules;
