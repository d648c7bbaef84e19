#!/bin/sh
# weft-bgp: this shell header is followed by the BGP speaker's jar. Usage: weft-bgp --config FILE.
self="$0"
case "$self" in */*) dir="${self%/*}" ;; *) dir=. ;; esac
# Java: WEFT_JAVA, else the runtime built beside dist/bin (dist/runtime), else JAVA_HOME, else PATH.
java="${WEFT_JAVA:-}"
if [ -z "$java" ] && [ -x "$dir/../runtime/bin/java" ]; then java="$dir/../runtime/bin/java"; fi
if [ -z "$java" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
if [ -z "$java" ]; then java=$(command -v java 2>/dev/null || echo /usr/bin/java); fi
# An OutOfMemoryError ends the process (exit 3) instead of leaving a speaker with dead threads.
# WEFT_BGP_JAVA_OPTS replaces only the GC and heap. A small young generation (-Xmn24m): a full
# table's ingest churns through eden, and every page of a large eden (85 MB by default here) stays
# resident afterwards although no route lives there; live routes go to the old generation, which
# grows from -Xms as they arrive (bench/bgp-ingest: 0.93 -> 0.57 KB RSS per route, idle 116 -> 101 MB).
# C1 only (-XX:TieredStopAtLevel=1): the speaker's work comes in bursts (a table at session start),
# and C2 spent more CPU compiling during a 100,000-route burst (1.2-1.6 s) than its faster code
# saved; without it the burst took 2.4 instead of 3.2 CPU s and the idle RSS fell 103 -> 86 MB.
# -Xms96m: with -Xms24m the old generation started empty and grew by full collections, five of them
# (0.3 s of pauses) during one full table; untouched heap is not resident, so idle RSS is unchanged.
# -XX:MaxTenuringThreshold=1: routes live as long as their session, so copying them between the
# survivor spaces up to 15 times only costs pauses (GC CPU 0.45 -> 0.3 s per 100,000 routes).
# env --default-signal=HUP,TERM: a parent that ignores SIGHUP (nohup, some supervisors) passes that
# on, and a JVM started with a signal ignored silently declines to handle it, so SIGHUP would never
# reload the config. env resets both to their default and execs java: same PID, no extra process.
# (SIGINT stays as inherited: a shell ignores it for its background jobs on purpose.)
# (coreutils before 8.31 has no --default-signal: then java starts as before)
reset="env --default-signal=HUP,TERM"
env --default-signal=HUP,TERM true 2>/dev/null || reset=
exec $reset "$java" -XX:+ExitOnOutOfMemoryError ${WEFT_BGP_JAVA_OPTS:--XX:+UseSerialGC -Xms96m -Xmx256m -Xmn24m -XX:MaxTenuringThreshold=1 -XX:TieredStopAtLevel=1} -cp "$self" dev.weft.bgp.agent.Main "$@"
exit 127
