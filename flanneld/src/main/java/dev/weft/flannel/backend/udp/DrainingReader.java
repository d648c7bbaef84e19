package dev.weft.flannel.backend.udp;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;

/**
 * An fd that a data path reads on its event loop, registered edge-triggered: every input event
 * drains it until EAGAIN. The fd belongs to whoever made the reader, so Netty's close when the
 * registration ends does nothing. The udp backend's TUN and GRO readers and the userspace IPIP
 * data path's two directions are such readers.
 */
public abstract class DrainingReader implements EpollIoHandle {
    protected final FileDescriptor fd;

    protected DrainingReader(FileDescriptor fd) {
        this.fd = fd;
    }

    @Override
    public final FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        drain();
    }

    /** Registers this with {@code loop} for input, edge-triggered, and returns the registration. */
    public IoRegistration watch(IoEventLoop loop) {
        IoRegistration reg = loop.register(this).syncUninterruptibly().getNow();
        loop.submit(() -> reg.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET))).syncUninterruptibly();
        return reg;
    }

    /** Reads until the fd is empty; on the loop thread only. */
    protected abstract void drain();

    /** Netty's call when the registration ends: nothing, the fd's owner closes it. */
    @Override
    public void close() {
    }
}
