#!/usr/bin/env bash
# The memory floor under apilb's sidecar profile: idle RSS of (1) the JVM alone and (2) the
# smallest Netty server of apilb's kind (bench/tools/TlsH2Floor.java: epoll, BoringSSL, ALPN h2,
# HTTP/2 codec, "200 ok"), with the JDK's class archive and (3) with an AppCDS archive of its own,
# as bin/apilb makes for apilb. Same JVM options as apilb's sidecar (`bin/apilb java-options`), same
# moment of reading as bench/footprint.sh (IDLE s after ready and one GET). apilb's idle RSS
# (footprint.sh) minus (3) is what apilb's own work costs; (3) is as low as a JVM of this kind goes.
#
#   bash bench/floor.sh          # about a minute; table on stdout and in bench/out/floor.md
#
# Knobs: FLOOR_IDLE (5, seconds), FLOOR_STARTS (3, starts per row; the median is reported),
# FLOOR_PORT (19960), BENCH_OUT (bench/out).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out}"
IDLE="${FLOOR_IDLE:-5}"
STARTS="${FLOOR_STARTS:-3}"
PORT="${FLOOR_PORT:-19960}"
LOG_TAG=floor
FILE_PREFIX=floor-
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 && command -v jar >/dev/null 2>&1 \
  && command -v jstat >/dev/null 2>&1 \
  || die "needs a JDK (java, javac, jar, jstat) on PATH"
command -v curl >/dev/null 2>&1 || install_packages curl
command -v openssl >/dev/null 2>&1 || install_packages openssl
[[ $STARTS =~ ^[1-9][0-9]*$ ]] || die "FLOOR_STARTS=$STARTS: give a number of starts, 1 or more"
mkdir -p "$OUT"
work="$OUT/floor"
rm -rf "$work"
mkdir -p "$work/netty" "$work/classes"

# the sidecar profile's own options (not a user's APILB_JAVA_OPTS, which would replace them);
# `version` builds the jar when it is missing or older than the sources
opts="$(env -u APILB_JAVA_OPTS APILB_JVM_PROFILE=sidecar "$ROOT/bin/apilb" java-options)"
"$ROOT/bin/apilb" version >/dev/null
jar_file="${APILB_JAR:-$ROOT/target/apilb.jar}"
log "sidecar options: $opts"
# Netty as apilb's jar runs it: its manifest opens these packages and Main sets the property, so
# Netty makes direct buffers without a cleaner
netty_opts="--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED"
netty_opts+=" -Dio.netty.tryReflectionSetAccessible=true"

# Netty and its native libraries (epoll, tcnative) out of apilb's jar: the same versions, nothing else
(cd "$work/netty" && jar --extract --file "$jar_file" io/netty META-INF/native)
jar --create --file "$work/netty-only.jar" -C "$work/netty" .
javac -d "$work/classes" -cp "$work/netty-only.jar" "$HERE/tools/TlsH2Floor.java"
jar --create --file "$work/floor.jar" -C "$work/classes" .
make_certs

cp_netty="$work/floor.jar:$work/netty-only.jar"
server_args=("$PORT" "$OUT/floor-front.crt" "$OUT/floor-front.key")
get() { curl -fsSk --http2 -o /dev/null "https://127.0.0.1:$PORT/"; }
printed_ready() { grep -q '^ready' "$OUT/floor-$1.log"; }

# the floor server's own archive, made as bin/apilb makes apilb's: the classes a start lists until
# it is ready (apilb's --train-and-exit serves no request either), then a static dump of them
log "training an AppCDS archive for the floor server"
# shellcheck disable=SC2086
start train java $opts $netty_opts -XX:DumpLoadedClassList="$work/floor.classes" -cp "$cp_netty" \
  TlsH2Floor "${server_args[@]}"
wait_until 60 "floor server (training)" printed_ready train \
  || die "the floor server did not come up (see $OUT/floor-train.log)"
stop_pid "$LAST_PID"
# shellcheck disable=SC2086
java $opts $netty_opts -Xshare:dump -XX:SharedClassListFile="$work/floor.classes" -XX:SharedArchiveFile="$work/floor.jsa" \
  -cp "$cp_netty" >"$OUT/floor-dump.log" 2>&1 || die "the dump failed (see $OUT/floor-dump.log)"

# measure NAME JAVA-ARGS... : median idle RSS (KiB) over STARTS starts
declare -A RSS CLASSES
measure() {
  local name=$1; shift
  local i values=() pid
  for i in $(seq "$STARTS"); do
    # shellcheck disable=SC2086
    start "$name" java $opts $netty_opts "$@"
    pid=$LAST_PID
    wait_until 60 "$name $i/$STARTS" printed_ready "$name" || die "$name did not start (see $OUT/floor-$name.log)"
    if [[ $name != jvm-only ]]; then
      wait_until 30 "$name: first GET" get || die "$name did not answer (see $OUT/floor-$name.log)"
    fi
    sleep "$IDLE"
    kill -0 "$pid" 2>/dev/null || die "$name exited while idle (see $OUT/floor-$name.log)"
    values+=("$(rss_kib "$pid")")
    # jstat reads the JVM's performance counters (a file the JVM maps anyway): nothing is loaded into it
    CLASSES[$name]="$(jstat -class "$pid" | awk 'NR == 2 {print $1}')" || die "jstat could not read $name"
    stop_pid "$pid"
  done
  RSS[$name]="$(printf '%s\n' "${values[@]}" | sort -n \
    | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}')"
  log "$name: RSS idle ${RSS[$name]} KiB (median of $STARTS: ${values[*]}), ${CLASSES[$name]} classes"
}
measure jvm-only -cp "$work/floor.jar" TlsH2Floor --jvm-only
measure netty-tls-h2 -cp "$cp_netty" TlsH2Floor "${server_args[@]}"
# -Xshare:on: an archive the JVM cannot map fails the start instead of silently repeating the row above
measure netty-tls-h2-appcds -XX:SharedArchiveFile="$work/floor.jsa" -Xshare:on \
  -cp "$cp_netty" TlsH2Floor "${server_args[@]}"

{
  echo "| JVM with apilb's sidecar options | classes loaded | RSS idle (MiB) |"
  echo "|---|---:|---:|"
  echo "| the JVM alone (\`Thread.sleep\`) | ${CLASSES[jvm-only]} | $(mib "${RSS[jvm-only]}") |"
  echo "| Netty TLS + HTTP/2 server, the JDK's class archive | ${CLASSES[netty-tls-h2]} | $(mib "${RSS[netty-tls-h2]}") |"
  echo "| Netty TLS + HTTP/2 server, its own AppCDS archive | ${CLASSES[netty-tls-h2-appcds]} | $(mib "${RSS[netty-tls-h2-appcds]}") |"
  echo
  echo "RSS: VmRSS ${IDLE} s after ready and one GET (the JVM alone: after ready), median of $STARTS starts. Options: \`$opts\`."
} | tee "$OUT/floor.md"
log "markdown written to $OUT/floor.md"
