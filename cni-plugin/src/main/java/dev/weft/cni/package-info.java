/** The CNI executables (weft-bridge, weft-host-local, weft-loopback, weft-flannel). Not written yet. */
package dev.weft.cni;
