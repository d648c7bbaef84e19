#!/bin/sh
# weftd: this shell header is followed by the daemon's jar. Flags are flanneld's (see -help).
self="$0"
case "$self" in */*) dir="${self%/*}" ;; *) dir=. ;; esac
# Java: WEFT_JAVA, else the runtime built beside dist/bin (dist/runtime), else JAVA_HOME, else PATH.
java="${WEFT_JAVA:-}"
if [ -z "$java" ] && [ -x "$dir/../runtime/bin/java" ]; then java="$dir/../runtime/bin/java"; fi
if [ -z "$java" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
if [ -z "$java" ]; then java=$(command -v java 2>/dev/null || echo /usr/bin/java); fi
# An OutOfMemoryError ends the process (exit 3), so the DaemonSet restarts it: without this a thread
# dies and weftd stays "ready" with half its work gone. WEFTD_JAVA_OPTS replaces only the GC and heap.
# A small young generation (-Xms32m -Xmn16m): with -Xmx256m alone a large machine starts the heap at
# 256 MB with an 85 MB young generation, every page of whose eden stays resident once touched although
# weftd's live data is a few MB (bench/footprint, 100 remote leases: RSS 160-171 -> 118-127 MB).
# -XX:-UsePerfData: no hsperfdata file and no sampler waking every 50 ms (jcmd still attaches; put
# -XX:+UsePerfData in WEFTD_JAVA_OPTS for jstat).
# A JVM started with SIGTERM ignored (a parent or supervisor that ignores it) never handles it and
# could then only be stopped by kill -9, skipping the clean shutdown: env resets it to its default
# and execs java (same PID, no extra process).
# (coreutils before 8.31 has no --default-signal: then java starts as before)
reset="env --default-signal=TERM"
env --default-signal=TERM true 2>/dev/null || reset=
exec $reset "$java" -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData ${WEFTD_JAVA_OPTS:--XX:+UseSerialGC -Xms32m -Xmx256m -Xmn16m} -cp "$self" dev.weft.flannel.daemon.Main "$@"
exit 127
