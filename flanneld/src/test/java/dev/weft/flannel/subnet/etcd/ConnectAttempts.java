package dev.weft.flannel.subnet.etcd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/**
 * Stands in for a dead server on its port and notes when clients try to connect: each connection
 * is accepted, timed and reset at once, so to a client it fails before any HTTP/2 handshake, just
 * as a refused one does (gRPC counts both as a failed attempt and backs off alike). A port nobody
 * listens on refuses in the kernel, where nothing could see the attempts.
 */
final class ConnectAttempts implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Long> times = new ArrayList<>(); // System.nanoTime() of each accept
    private final Thread acceptor;

    private ConnectAttempts(ServerSocket socket) {
        this.socket = socket;
        this.acceptor = new Thread(this::acceptAll, "connect-attempts");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on 127.0.0.1:{@code port}, which a server just left. */
    static ConnectAttempts on(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true); // the killed server's connections may linger in TIME_WAIT
        try {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen on 127.0.0.1:" + port + " in the server's place: " + e.getMessage(), e);
        }
        return new ConnectAttempts(s);
    }

    private void acceptAll() {
        while (true) {
            try (Socket c = socket.accept()) {
                long now = System.nanoTime();
                synchronized (this) {
                    times.add(now);
                    notifyAll();
                }
                c.setSoLinger(true, 0); // close with a reset
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                // one broken connection; keep counting the others
            }
        }
    }

    /** Waits for the first attempt at or after {@code nanoTime}; false if none came within {@code timeoutMs}. */
    synchronized boolean awaitAttemptAfter(long nanoTime, long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (times.isEmpty() || times.get(times.size() - 1) < nanoTime) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** The times of the attempts so far (System.nanoTime()). */
    synchronized List<Long> times() {
        return List.copyOf(times);
    }

    @Override
    public void close() throws IOException {
        socket.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
