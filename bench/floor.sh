#!/usr/bin/env bash
# The memory floor under apilb's sidecar profile: idle RSS of (1) the JVM alone and (2) the
# smallest Netty server of apilb's kind (bench/tools/TlsH2Floor.java: epoll, BoringSSL, ALPN h2,
# HTTP/2 codec, "200 ok"), with the JDK's class archive and (3) with an AppCDS archive of its own,
# as bin/apilb makes for apilb. Same JVM options as apilb's sidecar (`bin/apilb java-options`), same
# moment of reading as bench/footprint.sh (IDLE s after ready and one GET). apilb's idle RSS
# (footprint.sh) minus (3) is what apilb's own work costs; (3) is as low as a JVM of this kind goes.
#
#   bash bench/floor.sh          # about 30 s; table on stdout and in bench/out/floor.md
#
# Knobs: FLOOR_IDLE (5, seconds), FLOOR_STARTS (3, starts per row; the median is reported),
# FLOOR_PORT (19960).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$HERE/out"
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
mkdir -p "$OUT"
work="$OUT/floor"
rm -rf "$work"
mkdir -p "$work/netty" "$work/classes"

# the launcher builds the jar if needed and gives the profile's options
opts="$(APILB_JVM_PROFILE=sidecar "$ROOT/bin/apilb" java-options)"
"$ROOT/bin/apilb" version >/dev/null
jar_file="${APILB_JAR:-$ROOT/target/apilb.jar}"
log "sidecar options: $opts"

# Netty and its native libraries (epoll, tcnative) out of apilb's jar: the same versions, nothing else
(cd "$work/netty" && unzip -q "$jar_file" 'io/netty/*' 'META-INF/native/*')
jar --create --file "$work/netty-only.jar" -C "$work/netty" .
javac -d "$work/classes" -cp "$work/netty-only.jar" "$HERE/tools/TlsH2Floor.java"
jar --create --file "$work/floor.jar" -C "$work/classes" .
make_certs

cp_netty="$work/floor.jar:$work/netty-only.jar"
server_args=("$PORT" "$OUT/floor-front.crt" "$OUT/floor-front.key")
get() { curl -fsSk --http2 -o /dev/null "https://127.0.0.1:$PORT/"; }
printed_ready() { grep -q '^ready' "$OUT/floor-$1.log"; }

# the floor server's own archive, made as bin/apilb makes apilb's: list a start's classes, dump them
log "training an AppCDS archive for the floor server"
start train java $opts -XX:DumpLoadedClassList="$work/floor.classes" -cp "$cp_netty" TlsH2Floor "${server_args[@]}"
wait_until 60 "floor server (training)" get || die "the floor server did not come up (see $OUT/floor-train.log)"
stop_last() { kill -TERM "$LAST_PID" 2>/dev/null || true; wait "$LAST_PID" 2>/dev/null || true; }
stop_last
# shellcheck disable=SC2086
java $opts -Xshare:dump -XX:SharedClassListFile="$work/floor.classes" -XX:SharedArchiveFile="$work/floor.jsa" \
  -cp "$cp_netty" >"$OUT/floor-dump.log" 2>&1 || die "the dump failed (see $OUT/floor-dump.log)"

# measure NAME JAVA-ARGS... : median idle RSS (KiB) over STARTS starts
declare -A RSS CLASSES
measure() {
  local name=$1; shift
  local i values=() pid
  for i in $(seq "$STARTS"); do
    # shellcheck disable=SC2086
    start "$name" java $opts "$@"
    pid=$LAST_PID
    wait_until 60 "$name $i/$STARTS" printed_ready "$name" || die "$name did not start (see $OUT/floor-$name.log)"
    if [[ $name != jvm-only ]]; then
      wait_until 30 "$name: first GET" get || die "$name did not answer (see $OUT/floor-$name.log)"
    fi
    sleep "$IDLE"
    values+=("$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")")
    # jstat reads the JVM's performance counters (a file the JVM maps anyway): nothing is loaded into it
    CLASSES[$name]="$(jstat -class "$pid" | awk 'NR == 2 {print $1}')"
    stop_last
  done
  RSS[$name]="$(printf '%s\n' "${values[@]}" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')"
  log "$name: RSS idle ${RSS[$name]} KiB (median of $STARTS: ${values[*]}), ${CLASSES[$name]} classes"
}
measure jvm-only -cp "$work/floor.jar" TlsH2Floor --jvm-only
measure netty-tls-h2 -cp "$cp_netty" TlsH2Floor "${server_args[@]}"
measure netty-tls-h2-appcds -XX:SharedArchiveFile="$work/floor.jsa" -Xshare:auto -Xlog:cds=off \
  -cp "$cp_netty" TlsH2Floor "${server_args[@]}"

mib() { awk -v k="$1" 'BEGIN{printf "%.0f", k / 1024}'; }
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
