package dev.weft.e2e;

import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;

import java.nio.file.Path;
import java.util.List;

/**
 * One of the CNI processes of {@link BlockIpamAllocationTest}: sends ADDs to a weftd socket, one
 * connection per ADD as weft-ipam makes it, and prints {@code <handle> <address>} per answer
 * ({@code <handle> ERR <code> <msg>} for an error). Args: socket, handle prefix, first index, step, end.
 */
public final class AllocClientProcess {
    private AllocClientProcess() {
    }

    public static void main(String[] args) {
        IpamClient c = new IpamClient(Path.of(args[0]));
        int end = Integer.parseInt(args[4]);
        StringBuilder out = new StringBuilder();
        for (int i = Integer.parseInt(args[2]); i < end; i += Integer.parseInt(args[3])) {
            String id = args[1] + i;
            try {
                IpamResponse r = c.call(new IpamRequest.Allocate("net." + id, id, "eth0", "default", id, List.of()));
                out.append("net.").append(id).append(' ')
                        .append(r.isOk() ? r.ips().get(0).address().toString() : "ERR " + r.code() + " " + r.msg()).append('\n');
            } catch (IpamException e) {
                out.append("net.").append(id).append(" ERR ").append(e.code()).append(' ').append(e.getMessage()).append('\n');
            }
        }
        System.out.print(out);
        System.out.flush();
    }
}
