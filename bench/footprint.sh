#!/usr/bin/env bash
# Footprint benchmark: memory and start-up of apilb (server profile, sidecar profile, and the
# sidecar profile without its class-data-sharing archive) side by side with HAProxy in TCP mode
# (L4, as in the kubeadm HA guide) and in HTTP mode (L7), in front of the same three simulated
# kube-apiservers (`apilb sim`). For each proxy: start-to-ready time (from process start until a
# GET through the proxy succeeds; for apilb also until its admin /readyz answers 200), RSS idle,
# and RSS and CPU at a steady request rate while watches are held open. See bench/README.md.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit (trap), also
# on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out}"
FP="$HERE/footprint"

# ---- knobs ------------------------------------------------------------------
PROXIES="${FOOTPRINT_PROXIES:-apilb-server apilb-sidecar apilb-sidecar-nocds haproxy-l4 haproxy-l7}"
STARTS="${FOOTPRINT_STARTS:-5}"           # measured starts per proxy (median and best reported)
IDLE="${FOOTPRINT_IDLE:-5}"               # s after ready (and one GET) before RSS idle is read
WATCHES="${FOOTPRINT_WATCHES:-1000}"      # watches held open during the load
PER_CONNECTION="${FOOTPRINT_PER_CONNECTION:-100}"  # watches per HTTP/2 client connection
RATE="${FOOTPRINT_RATE:-200}"             # GETs per second during the load (h2load --rps x clients)
LOAD_CLIENTS="${FOOTPRINT_LOAD_CLIENTS:-10}"
LOAD_SECONDS="${FOOTPRINT_LOAD_SECONDS:-30}"
TICK="${FOOTPRINT_TICK:-5s}"              # the simulated apiservers recreate a ConfigMap this often (watch events)
TOKEN="${FOOTPRINT_TOKEN:-footprint-bench}"  # bearer token of every request (a service-account client)
PORT_BASE="${FOOTPRINT_PORT_BASE:-19900}"
APILB_BIN="${APILB_BIN:-$ROOT/bin/apilb}"
URL_PATH="/api/v1/namespaces/default/configmaps/bench"

B_NAMES=(cp1 cp2 cp3)
B_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))" "$((PORT_BASE + 3))")
CONTROL_PORT=$((PORT_BASE + 9))
PROXY_PORT=$((PORT_BASE + 10))
ADMIN_PORT=$((PORT_BASE + 11))

LOG_TAG=footprint
FILE_PREFIX=footprint-
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

ensure_tools() {
  local missing=()
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  install_packages "${missing[@]}"
  command -v java >/dev/null 2>&1 || die "no java on PATH (JDK 17)"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

sim_stats() { curl -fsS "http://127.0.0.1:$CONTROL_PORT/stats"; }
all_backends_listening() { sim_stats | grep -o '"listening":true' | wc -l | grep -qx 3; }
# sum of a numeric field over the three simulated apiservers
sim_sum() { sim_stats | grep -o "\"$1\":[0-9]*" | awk -F: '{s += $2} END {print s + 0}'; }

start_sim() {
  local args=() i
  for i in 0 1 2; do args+=(--backend "${B_NAMES[$i]}=${B_PORTS[$i]}"); done
  # the backends' own JVM: the launcher's defaults, no archive (APILB_CDS only acts on `run`)
  start sim env -u APILB_JVM_PROFILE -u APILB_JAVA_OPTS "$APILB_BIN" sim "${args[@]}" \
    --cert "$OUT/footprint-backend.crt" --key "$OUT/footprint-backend.key" \
    --control-port "$CONTROL_PORT" --tick "$TICK"
  wait_until 180 "simulated apiservers (control :$CONTROL_PORT)" all_backends_listening \
    || die "the simulated apiservers did not come up (see $OUT/footprint-sim.log)"
}

write_configs() {
  local backends="" servers="" i sep conf
  for i in 0 1 2; do
    sep=","; ((i == 2)) && sep=""
    backends+="    { name = \"${B_NAMES[$i]}\", address = \"127.0.0.1:${B_PORTS[$i]}\" }$sep"$'\n'
  done
  conf="$(render "$FP/apilb.conf.in")"
  conf="${conf//@APILB_PORT@/$PROXY_PORT}"
  conf="${conf//@APILB_ADMIN_PORT@/$ADMIN_PORT}"
  printf '%s\n' "${conf//@APILB_BACKENDS@/${backends%$'\n'}}" >"$OUT/footprint-apilb.conf"

  cat "$OUT/footprint-front.crt" "$OUT/footprint-front.key" >"$OUT/footprint-front.pem"
  chmod 600 "$OUT/footprint-front.pem"
  local hb; hb="$(command -v haproxy || echo /usr/sbin/haproxy)"
  for mode in l4 l7; do
    servers=""
    for i in 0 1 2; do
      if [[ $mode == l4 ]]; then
        servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]} check check-ssl verify none"$'\n'
      else
        servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]}"$'\n'
      fi
    done
    conf="$(render "$FP/haproxy-$mode.cfg.in")"
    conf="${conf//@HAPROXY_PORT@/$PROXY_PORT}"
    printf '%s\n' "${conf//@HAPROXY_SERVERS@/$servers}" >"$OUT/footprint-haproxy-$mode.cfg"
    "$hb" -c -q -f "$OUT/footprint-haproxy-$mode.cfg" || die "haproxy config check failed (see $OUT/footprint-haproxy-$mode.cfg)"
  done
}

# start_proxy NAME : starts it; sets LAST_PID
start_proxy() {
  local hb; hb="$(command -v haproxy || echo /usr/sbin/haproxy)"
  case $1 in
    apilb-server) start "$1" env APILB_JVM_PROFILE=server APILB_CDS_DIR="$OUT/footprint-cds" \
      "$APILB_BIN" run --config "$OUT/footprint-apilb.conf" ;;
    apilb-sidecar) start "$1" env APILB_JVM_PROFILE=sidecar APILB_CDS_DIR="$OUT/footprint-cds" \
      "$APILB_BIN" run --config "$OUT/footprint-apilb.conf" ;;
    apilb-sidecar-nocds) start "$1" env APILB_JVM_PROFILE=sidecar APILB_CDS=off \
      "$APILB_BIN" run --config "$OUT/footprint-apilb.conf" ;;
    haproxy-l4 | haproxy-l7) start "$1" "$hb" -db -f "$OUT/footprint-$1.cfg" ;;
    *) die "unknown proxy $1 (apilb-server, apilb-sidecar, apilb-sidecar-nocds, haproxy-l4, haproxy-l7)" ;;
  esac
}

get_through_proxy() {
  curl -fsS -o /dev/null --max-time 2 --cacert "$OUT/footprint-ca.crt" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$PROXY_PORT$URL_PATH" 2>/dev/null
}
# The polls below run every 20 ms on the 2 cores the starting proxy needs: bash's /dev/tcp (a fork,
# no exec) until something listens, curl only for the TLS GET.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
admin_ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT" || exit 1
    printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 1 line <&3 || exit 1
    [[ $line == "HTTP/1."?" 200"* ]]
  ) 2>/dev/null
}

# one_start NAME : starts the proxy and measures; sets PID, READY_MS (admin /readyz, apilb only, else
# "-") and SERVED_MS (first GET through it that succeeds)
one_start() {
  local name=$1 t0 deadline
  t0=$(now_ms)
  start_proxy "$name"
  PID=$LAST_PID
  READY_MS="-"
  SERVED_MS=""
  deadline=$((SECONDS + 120))
  local want_ready=0
  [[ $name == apilb-* ]] && want_ready=1
  while [[ -z $SERVED_MS ]] || ((want_ready)); do
    ((SECONDS < deadline)) || die "$name did not serve within 120 s (see $OUT/footprint-$name.log)"
    kill -0 "$PID" 2>/dev/null || die "$name exited (see $OUT/footprint-$name.log)"
    if ((want_ready)) && admin_ready; then
      READY_MS=$(($(now_ms) - t0))
      want_ready=0
    fi
    if [[ -z $SERVED_MS ]] && port_open "$PROXY_PORT" && get_through_proxy; then
      SERVED_MS=$(($(now_ms) - t0))
    fi
    sleep 0.02
  done
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else print v[int((NR + 1) / 2)]}'; }
best() { tr ' ' '\n' | grep -v '^$' | sort -n | head -1; }

# hold_and_load NAME PID : RSS and CPU while WATCHES watches are open and RATE req/s flow; sets
# LOAD_RESULT="rss_end_kib rss_max_kib cpu_pct ok_requests failed_requests open_watches backend_watches backend_conns"
hold_and_load() {
  local name=$1 pid=$2 hold_log="$OUT/footprint-hold-$1.log" txt="$OUT/footprint-h2load-$1.txt"
  # start's log of the holder: one status line a second
  start "hold-$name" java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "$HERE/tools/HoldWatches.java" \
    --url "https://127.0.0.1:$PROXY_PORT" --ca "$OUT/footprint-ca.crt" --token "$TOKEN" \
    --watches "$WATCHES" --per-connection "$PER_CONNECTION"
  local holder=$LAST_PID
  local deadline=$((SECONDS + 180))
  until tail -1 "$hold_log" 2>/dev/null | grep -q "^open=$WATCHES "; do
    ((SECONDS < deadline)) || { tail -3 "$hold_log" >&2; die "$name: $WATCHES watches not open within 180 s"; }
    kill -0 "$holder" 2>/dev/null || { tail -5 "$hold_log" >&2; die "$name: the watch holder exited"; }
    kill -0 "$pid" 2>/dev/null || die "$name exited under the watches (see $OUT/footprint-$name.log)"
    sleep 0.5
  done
  log "$name: $WATCHES watches open; $RATE req/s for ${LOAD_SECONDS}s"
  local per_client=$((RATE / LOAD_CLIENTS)) ticks0 t0 max=0 r
  ticks0=$(cpu_ticks "$pid"); t0=$(now_ms)
  h2load -D "$LOAD_SECONDS" -c "$LOAD_CLIENTS" --rps "$per_client" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$PROXY_PORT$URL_PATH" >"$txt" 2>&1 &
  LOAD_PID=$!
  while kill -0 "$LOAD_PID" 2>/dev/null; do
    r=$(rss_kib "$pid"); ((r > max)) && max=$r
    sleep 1
  done
  wait "$LOAD_PID" || { tail -20 "$txt" >&2; die "h2load against $name failed"; }
  LOAD_PID=""
  local ticks=$(($(cpu_ticks "$pid") - ticks0)) elapsed=$(($(now_ms) - t0)) rss_end
  rss_end=$(rss_kib "$pid"); ((rss_end > max)) && max=$rss_end
  local ok failed open bw bc cpu
  ok=$(awk '/^requests:/{for (i = 1; i <= NF; i++) if ($(i+1) ~ /^succeeded/) print $i}' "$txt")
  failed=$(awk '/^requests:/{for (i = 1; i <= NF; i++) if ($(i+1) ~ /^(failed|errored|timeout)/) s += $i} END {print s + 0}' "$txt")
  open=$(tail -1 "$hold_log" | sed -n 's/^open=\([0-9]*\).*/\1/p')
  bw=$(sim_sum watches); bc=$(sim_sum connections)
  cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v ms="$elapsed" 'BEGIN{printf "%.1f", t / hz * 100000 / ms}')
  stop_pid "$holder"
  LOAD_RESULT="$rss_end $max $cpu ${ok:-0} $failed ${open:-0} $bw $bc"
}

main() {
  [[ $EUID -eq 0 ]] || log "not root: apt installs will fail if tools are missing"
  ensure_tools
  mkdir -p "$OUT"
  rm -rf "$OUT"/footprint-*.log "$OUT"/footprint-*.txt "$OUT/footprint.md" "$OUT/footprint-cds"
  [[ -x $APILB_BIN ]] || die "apilb launcher not found at $APILB_BIN"
  make_certs
  write_configs
  # builds the jar if needed, before anything is timed
  "$APILB_BIN" version >/dev/null
  start_sim
  local loadavg_start; loadavg_start="$(cut -d' ' -f1 /proc/loadavg)"
  if awk -v l="$loadavg_start" 'BEGIN{exit !(l > 0.5)}'; then
    log "WARNING: 1-min load average is $loadavg_start before the bench; figures will be noisy"
  fi

  declare -A ROW=() READYS=() SERVEDS=() FIRST=()
  local p i
  # Starts first, in rounds over the proxies, so that the other work on a shared machine weighs on
  # every proxy alike; apilb's first start with a profile trains its archive and is kept apart.
  for p in $PROXIES; do
    READYS[$p]=""; SERVEDS[$p]=""; FIRST[$p]="-"
    if [[ $p == apilb-server || $p == apilb-sidecar ]]; then
      one_start "$p"
      FIRST[$p]="$SERVED_MS"
      log "$p: first start (trains the AppCDS archive): ready ${READY_MS} ms, served ${SERVED_MS} ms"
      stop_pid "$PID"
    fi
  done
  for ((i = 1; i <= STARTS; i++)); do
    for p in $PROXIES; do
      one_start "$p"
      log "$p: start $i/$STARTS: ready ${READY_MS} ms, served ${SERVED_MS} ms"
      READYS[$p]+=" $READY_MS"; SERVEDS[$p]+=" $SERVED_MS"
      stop_pid "$PID"
    done
  done
  # then memory, one proxy at a time
  for p in $PROXIES; do
    one_start "$p"
    sleep "$IDLE"
    local idle; idle=$(rss_kib "$PID")
    log "$p: RSS idle $(mib "$idle") MiB"
    hold_and_load "$p" "$PID"
    log "$p: under load: RSS end/max KiB, CPU %, ok, failed, open watches, backend watches, backend connections = $LOAD_RESULT"
    stop_pid "$PID"
    local rm="-" rb="-"
    if [[ $p == apilb-* ]]; then rm=$(echo "${READYS[$p]}" | median); rb=$(echo "${READYS[$p]}" | best); fi
    ROW[$p]="$rm $rb $(echo "${SERVEDS[$p]}" | median) $(echo "${SERVEDS[$p]}" | best) ${FIRST[$p]} $idle $LOAD_RESULT"
  done

  # ---- report ----
  local table
  table="$(
    echo "| proxy | ready, admin /readyz (ms, median / best) | first GET served (ms, median / best) | RSS idle (MiB) | RSS, $WATCHES watches + $RATE req/s (MiB, end / max) | CPU under load (% of a core) | requests ok / failed | watches open (client / backends) | backend connections |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for p in $PROXIES; do
      read -r rm rb sm sb first idle rend rmax cpu ok failed open bw bc <<<"${ROW[$p]}"
      local ready="-"; [[ $rm != "-" ]] && ready="$rm / $rb"
      printf '| %s | %s | %s / %s | %s | %s / %s | %s | %s / %s | %s / %s | %s |\n' "$p" "$ready" "$sm" "$sb" \
        "$(mib "$idle")" "$(mib "$rend")" "$(mib "$rmax")" "$cpu" "$ok" "$failed" "$open" "$bw" "$bc"
    done
  )"
  local ratios=""
  if [[ -n ${ROW[apilb-sidecar]:-} ]]; then
    local h
    read -r _ _ a_sm _ _ a_idle _ a_max _ <<<"${ROW[apilb-sidecar]}"
    for h in haproxy-l4 haproxy-l7; do
      [[ -n ${ROW[$h]:-} ]] || continue
      read -r _ _ h_sm _ _ h_idle _ h_max _ <<<"${ROW[$h]}"
      ratios+="$(awk -v h="$h" -v ai="$a_idle" -v hi="$h_idle" -v am="$a_max" -v hm="$h_max" -v as="$a_sm" -v hs="$h_sm" 'BEGIN {
        printf "apilb-sidecar / %s: RSS idle %.1fx, RSS under load %.1fx, first GET served %.1fx", h, ai / hi, am / hm, as / hs }')"$'\n'
    done
    read -r a_rm _ _ _ _ a_idle _ a_max _ <<<"${ROW[apilb-sidecar]}"
    ratios+="sidecar targets (issue 16): RSS idle $(mib "$a_idle") MiB (target <= 64), RSS under load $(mib "$a_max") MiB max (target <= 96), ready ${a_rm} ms median (target <= 1000)"$'\n'
  fi
  for p in $PROXIES; do
    read -r _ _ _ _ first _ <<<"${ROW[$p]}"
    [[ $first != "-" ]] && ratios+="$p: first start of the jar, training the AppCDS archive included: $first ms to the first GET served"$'\n'
  done
  echo
  echo "$table"
  echo
  printf '%s' "$ratios"

  {
    echo "### Footprint: apilb profiles vs HAProxy — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); shared with other work."
    echo "$(java -version 2>&1 | sed -n 2p); HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'); $(h2load --version | head -1)."
    echo "Backends: three simulated apiservers (\`apilb sim\`, one JVM, a ConfigMap recreated every $TICK for watch events)."
    echo "Start-to-ready: from process start (the launcher, for apilb) until admin /readyz answers 200 and until a GET through the proxy succeeds; $STARTS starts each, in rounds over the proxies, polled every 20 ms (bash's /dev/tcp until the port listens, then curl); apilb's archive already trained (first start reported apart)."
    echo "RSS idle: VmRSS $IDLE s after ready and one GET. Under load: $WATCHES watches held open over HTTP/2 ($PER_CONNECTION per connection, \`bench/tools/HoldWatches.java\`) and \`h2load -c $LOAD_CLIENTS --rps $((RATE / LOAD_CLIENTS)) -D $LOAD_SECONDS\` (= $RATE req/s, h2 over TLS), bearer token on every request; RSS sampled every second."
    echo "1-min load average before: $loadavg_start, after: $(cut -d' ' -f1 /proc/loadavg)."
    echo
    echo "$table"
    echo
    echo '```'
    printf '%s' "$ratios"
    echo '```'
  } >"$OUT/footprint.md"
  log "markdown written to $OUT/footprint.md"
}

main "$@"
