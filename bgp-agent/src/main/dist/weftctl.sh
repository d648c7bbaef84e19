#!/bin/sh
# weftctl: this shell header is followed by the jar. Reads the BGP agent's status socket; see --help.
# weftd beside it (also a header + jar) brings the node commands, status and leases.
self="$0"
case "$self" in */*) dir="${self%/*}" ;; *) dir=. ;; esac
# Java: WEFT_JAVA, else the runtime built beside dist/bin (dist/runtime), else JAVA_HOME, else PATH.
java="${WEFT_JAVA:-}"
if [ -z "$java" ] && [ -x "$dir/../runtime/bin/java" ]; then java="$dir/../runtime/bin/java"; fi
if [ -z "$java" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
if [ -z "$java" ]; then java=$(command -v java 2>/dev/null || echo /usr/bin/java); fi
weftd="$dir/weftd"
# A short-lived client: a small heap and the serial GC start fastest.
exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx256m -cp "$self:$weftd" dev.weft.bgp.status.cli.Weftctl "$@"
exit 127
