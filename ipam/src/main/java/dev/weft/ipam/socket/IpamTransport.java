package dev.weft.ipam.socket;

import dev.weft.ipam.IpamException;

/**
 * How the weft-ipam plugin code reaches weftd's block IPAM: over the CNI socket ({@link IpamClient})
 * from a plugin process, or by a direct call when weftd itself runs the plugin for a thick shim.
 */
public interface IpamTransport {
    IpamResponse call(IpamRequest r) throws IpamException;
}
