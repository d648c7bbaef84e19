#!/bin/sh
# Weft CNI plugin: this shell header is followed by the plugin jar (Java finds a jar by its end).
# The plugin's name is the name this file was run as. Start-up is most of a plugin's run, so:
# a small bounded heap, one client-compiler thread, no perf-data file, and the class-data archive that
# the installer writes beside this file (<name>.jsa) when there is one; -Xlog:disable keeps the
# JVM from ever printing on stdout, which is the CNI protocol.
self="$0"
case "$self" in */*) dir="${self%/*}" ;; *) dir=. ;; esac
# The Java runtime, first found of: WEFT_JAVA (an explicit override); the runtime the installer put
# beside the plugins (.weft/runtime, a symlink it swaps atomically to a complete runtime-<id>, so
# hosts without Java work and the class-data archives below match the JVM); JAVA_HOME; PATH.
java="${WEFT_JAVA:-}"
if [ -z "$java" ] && [ -x "$dir/.weft/runtime/bin/java" ]; then java="$dir/.weft/runtime/bin/java"; fi
if [ -z "$java" ] && [ -n "$JAVA_HOME" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
# No $(...) anywhere: each one forks a subshell (~3 ms); exec below searches PATH itself.
if [ -z "$java" ]; then if command -v java >/dev/null 2>&1; then java=java; else java=/usr/bin/java; fi; fi
# stdout is the CNI protocol: even without a Java runtime the answer is an error object.
case "$java" in
  */*) if [ ! -x "$java" ]; then
         case "$java" in *[\"\\]*) java="WEFT_JAVA" ;; esac
         printf '{"cniVersion":"1.0.0","code":999,"msg":"no Java runtime: %s is not executable (run the installer, or set WEFT_JAVA or JAVA_HOME)"}\n' "$java"
         exit 1
       fi ;;
esac
lib=""
# jffi's native stub, extracted once by the installer: saves writing it to /tmp on every start.
if [ -f "$dir/.weft-jffi/libjffi-1.2.so" ]; then lib="-Djffi.boot.library.path=$dir/.weft-jffi"; fi
cds=""
if [ -n "$WEFT_CDS_DUMP" ]; then cds="-XX:ArchiveClassesAtExit=$WEFT_CDS_DUMP"
elif [ -f "$self.jsa" ]; then cds="-XX:SharedArchiveFile=$self.jsa"; fi
# ArchiveRelocationMode=0 maps the archive at the address it was written for instead of a random
# one (the default since 17.0.x): no pointer patching, about 7 ms less per start. It gives up ASLR
# for the archived class metadata only, in a process that lives a tenth of a second.
# A fixed locale, en_US: jffi names its stub with String.format, which in any other default
# locale (C.UTF-8 gives "en" with no country) first loads the locale providers and their resource
# bundles, ~5 ms. Nothing a plugin prints depends on the locale.
# -Xmx bounds the heap far above a plugin's needs (a few MB). Running out is caught in Main, which
# lets go of a reserve and prints an error object; -XX:+ExitOnOutOfMemoryError would instead end
# the JVM with nothing on stdout, so it is deliberately not used.
# weft-routed is a thick plugin: its entry (Shim) loads java.base and the libc binding only, and hands the invocation to
# weftd over /run/weft/cni.sock; only when weftd does not serve it does the same JVM run the plugin.
main=dev.weft.cni.Main
case "${self##*/}" in weft-routed) main=dev.weft.cni.thick.Shim ;; esac
# The client compiler only for what is really hot: at the default thresholds (a method's 200th call,
# a loop's 60000th turn) its thread took ~18 % of the thick shim's CPU time (perf), compiling code a
# ~100 ms process then hardly runs. Measured with these values (not tuned one by one): calls at 10x
# (2000, the minimum raised to the same 2000, the call+loop sum 20000), loops at 3.3x (200000); they
# cut the shim's CPU ~61 -> ~50 ms and every plugin's ADD a few ms in bench/cni-latency (-Xint was
# no better, and would leave a plugin with a long loop, a GC over many pods, interpreting it).
exec "$java" -Xmx128m -Xlog:disable -Xlog:all=off -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
  -XX:Tier3InvocationThreshold=2000 -XX:Tier3MinInvocationThreshold=2000 -XX:Tier3CompileThreshold=20000 -XX:Tier3BackEdgeThreshold=200000 \
  -XX:-UsePerfData -Xss512k \
  -Xshare:auto -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 $cds $lib -Duser.language=en -Duser.country=US \
  -Dweft.plugin="${self##*/}" -cp "$self" $main "$@"
exit 127
