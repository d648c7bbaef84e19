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
exec "$java" -XX:+ExitOnOutOfMemoryError ${WEFTD_JAVA_OPTS:--XX:+UseSerialGC -Xmx256m} -cp "$self" dev.weft.flannel.daemon.Main "$@"
exit 127
