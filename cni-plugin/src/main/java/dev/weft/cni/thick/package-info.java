/**
 * weft-routed as a thick plugin: {@link dev.weft.cni.thick.Shim}, the executable's entry, loads
 * java.base only and hands the CNI invocation to weftd's CNI socket ({@link dev.weft.cni.thick.ThickWire},
 * op "cni"); weftd's {@link dev.weft.cni.thick.ThickService} runs the same plugin code in its warm JVM
 * or declines, and then the shim's own JVM runs the plugin as before.
 */
package dev.weft.cni.thick;
