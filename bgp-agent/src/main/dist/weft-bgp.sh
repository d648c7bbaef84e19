#!/bin/sh
# weft-bgp: this shell header is followed by the BGP speaker's jar. Usage: weft-bgp --config FILE.
self="$0"
java="${WEFT_JAVA:-}"
if [ -z "$java" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
if [ -z "$java" ]; then java=$(command -v java 2>/dev/null || echo /usr/bin/java); fi
# An OutOfMemoryError ends the process (exit 3) instead of leaving a speaker with dead threads.
# WEFT_BGP_JAVA_OPTS replaces only the GC and heap.
exec "$java" -XX:+ExitOnOutOfMemoryError ${WEFT_BGP_JAVA_OPTS:--XX:+UseSerialGC -Xmx256m} -cp "$self" dev.weft.bgp.agent.Main "$@"
exit 127
