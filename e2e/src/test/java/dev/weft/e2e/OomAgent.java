package dev.weft.e2e;

import java.io.IOException;
import java.net.Socket;

/**
 * A java agent ({@code -javaagent:oom-agent.jar=PORT}) for {@link OutOfMemoryExitTest}: once
 * weftd's health port accepts a connection, one thread of weftd's JVM asks for more heap than there
 * is. A deterministic stand-in for a leak: the OutOfMemoryError lands in a thread other than main,
 * which is exactly the case that leaves a JVM without -XX:+ExitOnOutOfMemoryError running.
 */
public final class OomAgent implements Runnable {
    private final int port;

    private OomAgent(int port) {
        this.port = port;
    }

    public static void premain(String args) {
        Thread t = new Thread(new OomAgent(Integer.parseInt(args)), "weft-oom-agent");
        t.setDaemon(true); // never what keeps the JVM alive
        t.start();
    }

    @Override
    public void run() {
        while (!serving()) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
        System.err.println("oom-agent: weftd is serving; allocating more than the heap");
        long[] tooBig = new long[Integer.MAX_VALUE - 8];
        System.err.println("oom-agent: unexpectedly allocated " + tooBig.length + " longs");
    }

    private boolean serving() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
