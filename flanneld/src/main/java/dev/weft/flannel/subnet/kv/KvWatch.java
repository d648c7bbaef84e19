package dev.weft.flannel.subnet.kv;

/** A running watch. Closing it stops callbacks (one already running may finish). */
public interface KvWatch extends AutoCloseable {
    @Override
    void close();
}
