/**
 * The CNI executables {@code weft-bridge}, {@code weft-host-local}, {@code weft-loopback},
 * {@code weft-flannel} and {@code weft-routed}: one jar, and {@link dev.weft.cni.Main} picks the plugin by the launcher's
 * name.
 *
 * <ul>
 *   <li>{@code skel}: the verb dispatcher (ADD, DEL, CHECK, VERSION, GC, STATUS) around a plugin;
 *       {@code spec}: the CNI types, versions, results and errors.</li>
 *   <li>{@code bridge}, {@code hostlocal}, {@code loopback}, {@code flannel}, {@code routed}: the plugins.</li>
 *   <li>{@code ipam} and {@code invoke}: calling an IPAM or delegate plugin, in process when it is
 *       Weft's own, else as an executable on CNI_PATH.</li>
 *   <li>{@code masq}: IP masquerade rules as the reference plugins write them.</li>
 * </ul>
 */
package dev.weft.cni;
