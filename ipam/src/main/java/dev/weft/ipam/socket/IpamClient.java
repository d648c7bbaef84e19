package dev.weft.ipam.socket;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipc.UnixStream;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/** One request to weftd and its answer; the plugin's only way to an address. */
public final class IpamClient implements IpamTransport {
    /** weftd's default socket; the plugin config's {@code socket} may name another. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/weft/cni.sock");

    /**
     * How long weftd may take to answer: it answers from its cache or after one etcd transaction
     * (retried on conflicts), so a minute means it is stuck; then the ADD fails with code 11.
     */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final Path socket;

    public IpamClient(Path socket) {
        this.socket = socket;
    }

    /**
     * Sends {@code r} and returns weftd's answer. When weftd cannot be reached (no socket, nobody
     * listening) this fails with code 11, so the runtime tries the ADD again later.
     */
    @Override
    public IpamResponse call(IpamRequest r) throws IpamException {
        if (!Files.exists(socket)) {
            throw notRunning("there is no socket " + socket, null);
        }
        try (UnixStream ch = UnixStream.connect(socket, ANSWER_TIMEOUT)) {
            IpamFrame.write(ch.out(), r.encode());
            byte[] answer = IpamFrame.read(ch.in());
            if (answer == null) {
                throw notRunning("weftd closed " + socket + " without an answer", null);
            }
            return IpamResponse.parse(answer);
        } catch (ConnectException | NoSuchFileException e) {
            throw notRunning("nothing listens on " + socket, e);
        } catch (IOException e) {
            throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "talking to weftd on " + socket + " failed: " + e.getMessage()
                    + "; try again later", null, e);
        }
    }

    public Path socket() {
        return socket;
    }

    private IpamException notRunning(String why, Throwable cause) {
        return new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "weftd is not running (" + why
                + "); it serves block IPAM addresses, try again later", null, cause);
    }
}
