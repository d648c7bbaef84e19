package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the tools inside a test netns and records every process started, to measure an operation's cost. */
final class CountingRunner implements CommandRunner {
    private final CommandRunner inner;
    private final List<List<String>> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger failures = new AtomicInteger();

    CountingRunner(String netns) {
        this.inner = CommandRunner.inNetns(netns);
    }

    @Override
    public Result run(List<String> argv, String stdin) {
        calls.add(List.copyOf(argv));
        Result r = inner.run(argv, stdin);
        if (!r.ok()) {
            failures.incrementAndGet();
        }
        return r;
    }

    @Override
    public boolean hasTool(String program) {
        return inner.hasTool(program);
    }

    /** Processes started since the last call, and reset. */
    int take() {
        int n = calls.size();
        calls.clear();
        return n;
    }

    List<List<String>> calls() {
        return List.copyOf(calls);
    }

    /** Commands that exited non-zero so far (expected ones included, e.g. listing a missing nft chain). */
    int failures() {
        return failures.get();
    }
}
