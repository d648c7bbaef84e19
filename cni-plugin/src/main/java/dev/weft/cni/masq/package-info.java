/**
 * IP masquerade for pod addresses, rule for rule what the reference plugins install
 * ({@code containernetworking/plugins pkg/ip/ipmasq_*_linux.go}), so pods moved between Weft and the
 * reference plugins keep working and are cleaned up by either.
 *
 * <p>{@link dev.weft.cni.masq.Masquerade} is the whole surface: {@code forBackend} picks the backend
 * the way the reference does; setup goes to that backend, teardown and GC sweep both, because a pod
 * may have been set up by another plugin version or configuration. The backends drive the
 * {@code iptables-save/-restore} and {@code nft} tools through the firewall toolkit
 * ({@code dev.weft.firewall}), batching each operation into one transaction per family so an ADD
 * costs two short processes; only the policy (which rules, named how) lives here.
 */
package dev.weft.cni.masq;
