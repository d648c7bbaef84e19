/**
 * The speaker's settings as {@code weft-bgp --config FILE} reads them: {@link dev.weft.bgp.config.AgentConfig}
 * records, parsed from YAML or JSON by {@link dev.weft.bgp.config.ConfigFile} (bounded, unknown keys
 * rejected, every value checked), so a bad file fails at start with a message naming the key.
 */
package dev.weft.bgp.config;
