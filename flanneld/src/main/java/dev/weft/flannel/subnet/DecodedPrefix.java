package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.flannel.subnet.kv.KvStore;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The keys under a prefix as a {@link ResilientWatch} sees them, each decoded once per write: a
 * listing decodes every key, an event only the keys it names, so a watcher of many keys does not
 * parse them all again whenever one changes. A key whose decoder returns null is not kept. After a
 * listing, and after events that changed what is kept (a key kept before or now), {@code changed}
 * runs. Everything runs on the watch's executor. With {@code keepLastGood}, a key whose new value
 * does not decode keeps the value it decoded to before (only a DELETE drops it): for state that
 * routes traffic, one bad write must not withdraw what was good.
 *
 * @param <T> what a key decodes to
 */
public final class DecodedPrefix<T> implements ResilientWatch.Handler {
    private final KvStore store;
    private final String dir;
    private final Function<KvEntry, T> decoder;
    private final Runnable changed;
    private final boolean keepLastGood;
    private final Map<String, T> kept = new TreeMap<>();

    public DecodedPrefix(KvStore store, String dir, Function<KvEntry, T> decoder, Runnable changed) {
        this(store, dir, decoder, changed, false);
    }

    public DecodedPrefix(KvStore store, String dir, Function<KvEntry, T> decoder, Runnable changed, boolean keepLastGood) {
        this.store = store;
        this.dir = dir;
        this.decoder = decoder;
        this.changed = changed;
        this.keepLastGood = keepLastGood;
    }

    @Override
    public long resync() {
        KvListing l = store.list(dir);
        Map<String, T> before = keepLastGood ? new TreeMap<>(kept) : Map.of();
        kept.clear();
        for (KvEntry e : l.entries()) {
            T t = decoder.apply(e);
            if (t == null) {
                t = before.get(e.key());
            }
            if (t != null) {
                kept.put(e.key(), t);
            }
        }
        changed.run();
        return l.revision();
    }

    @Override
    public void onEvents(List<KvEvent> events) {
        boolean any = false;
        for (KvEvent e : events) {
            T t = e.type() == KvEvent.Type.PUT ? decoder.apply(e.entry()) : null;
            if (t == null && keepLastGood && e.type() == KvEvent.Type.PUT) {
                continue; // the decoder has logged it; the last good value stands
            }
            T before = t != null ? kept.put(e.key(), t) : kept.remove(e.key());
            any |= t != null || before != null;
        }
        if (any) {
            changed.run();
        }
    }

    /** What is kept, by key (a live view: read it on the executor). */
    public Map<String, T> byKey() {
        return Collections.unmodifiableMap(kept);
    }

    public Collection<T> values() {
        return Collections.unmodifiableCollection(kept.values());
    }
}
