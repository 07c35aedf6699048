#!/usr/bin/env bash
# Failover benchmark: the same steady load (GETs over a few HTTP/2 client
# connections, plus watches) through HAProxy as in the kubeadm HA guide (L4,
# /readyz checks) and through apilb, in front of three simulated
# kube-apiservers; one backend is killed abruptly, comes back, then another is
# restarted gracefully. Reports failed requests, broken client connections and
# the spread of requests and watches. See bench/failover/README.md.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped
# on exit (trap), also on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out}"
FO="$HERE/failover"

# ---- knobs ------------------------------------------------------------------
RATE="${FAILOVER_RATE:-300}"              # GETs per second, all clients together
CLIENTS="${FAILOVER_CLIENTS:-6}"          # HTTP/2 client connections (one JDK HttpClient each)
WATCHES="${FAILOVER_WATCHES:-30}"         # watches, spread over the clients
STEADY="${FAILOVER_STEADY:-20}"           # s of steady load before the kill
AFTER_KILL="${FAILOVER_AFTER_KILL:-20}"   # s with cp1 dead
GAP="${FAILOVER_GAP:-10}"                 # s between cp1 coming back and cp2's graceful restart
GRACE_DELAY="${FAILOVER_GRACEFUL_DELAY:-5}"  # s of readyz [-]shutdown before cp2 stops listening
GRACE_DOWN="${FAILOVER_GRACEFUL_DOWN:-2}"    # s cp2 is down before it starts again
MEASURE="${FAILOVER_MEASURE:-60}"         # s measured after the last restart
WARMUP="${FAILOVER_WARMUP:-10}"           # s of unmeasured load first (JIT, connection pools)
PROXIES="${FAILOVER_PROXIES:-haproxy apilb}"
PORT_BASE="${FAILOVER_PORT_BASE:-19700}"
APILB_BIN="${APILB_BIN:-$ROOT/bin/apilb}"

B_NAMES=(cp1 cp2 cp3)
B_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))" "$((PORT_BASE + 3))")
CONTROL_PORT=$((PORT_BASE + 9))
HAPROXY_PORT=$((PORT_BASE + 10))
APILB_PORT=$((PORT_BASE + 20))
APILB_ADMIN_PORT=$((PORT_BASE + 21))

LOG_TAG=failover
FILE_PREFIX=failover-
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

# The load generator is JDK-only; prefer a JDK >= 21: JDK 17's HttpClient fails
# the open streams of a connection on a graceful GOAWAY, which real clients
# (client-go) do not. Override with FAILOVER_JAVA.
pick_java() {
  if [[ -n ${FAILOVER_JAVA:-} ]]; then echo "$FAILOVER_JAVA"; return; fi
  local j v best="" bestv=0
  for j in /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
    [[ -x $j ]] || continue
    v="$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')"
    [[ $v =~ ^[0-9]+$ ]] || continue
    if ((v > bestv)); then best=$j; bestv=$v; fi
  done
  ((bestv >= 21)) || log "WARNING: no JDK >= 21 found for the load generator; JDK $bestv counts GOAWAY as stream errors"
  echo "${best:-java}"
}

ensure_tools() {
  local missing=()
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  install_packages "${missing[@]}"
}

all_backends_listening() {
  curl -fsS "http://127.0.0.1:$CONTROL_PORT/stats" | grep -o '"listening":true' | wc -l | grep -qx 3
}

start_sim() {
  local args=() i
  for i in 0 1 2; do args+=(--backend "${B_NAMES[$i]}=${B_PORTS[$i]}"); done
  start sim "$APILB_BIN" sim "${args[@]}" --cert "$OUT/failover-backend.crt" --key "$OUT/failover-backend.key" \
    --control-port "$CONTROL_PORT"
  wait_until 120 "simulated apiservers (control :$CONTROL_PORT)" all_backends_listening \
    || die "the simulated apiservers did not come up (see $OUT/failover-sim.log)"
}

start_haproxy() {
  local servers="" i
  for i in 0 1 2; do
    servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]} check check-ssl verify none"$'\n'
  done
  local conf
  conf="$(render "$FO/haproxy.cfg.in")"
  conf="${conf//@HAPROXY_PORT@/$HAPROXY_PORT}"
  printf '%s\n' "${conf//@HAPROXY_SERVERS@/$servers}" >"$OUT/failover-haproxy.cfg"
  local hb; hb="$(command -v haproxy || echo /usr/sbin/haproxy)"
  "$hb" -c -q -f "$OUT/failover-haproxy.cfg" || die "haproxy config check failed (see $OUT/failover-haproxy.cfg)"
  start haproxy "$hb" -db -f "$OUT/failover-haproxy.cfg"
  wait_until 30 "haproxy (:$HAPROXY_PORT)" \
    curl -fsS --cacert "$OUT/failover-ca.crt" "https://127.0.0.1:$HAPROXY_PORT/readyz" \
    || die "haproxy did not come up (see $OUT/failover-haproxy.log)"
}

start_apilb() {
  local backends="" i sep
  for i in 0 1 2; do
    sep=","; ((i == 2)) && sep=""
    backends+="    { name = \"${B_NAMES[$i]}\", address = \"127.0.0.1:${B_PORTS[$i]}\" }$sep"$'\n'
  done
  local conf
  conf="$(render "$FO/apilb.conf.in")"
  conf="${conf//@APILB_PORT@/$APILB_PORT}"
  conf="${conf//@APILB_ADMIN_PORT@/$APILB_ADMIN_PORT}"
  printf '%s\n' "${conf//@APILB_BACKENDS@/${backends%$'\n'}}" >"$OUT/failover-apilb.conf"
  start apilb "$APILB_BIN" run --config "$OUT/failover-apilb.conf"
  wait_until 60 "apilb (admin :$APILB_ADMIN_PORT/readyz)" \
    curl -fsS "http://127.0.0.1:$APILB_ADMIN_PORT/readyz" \
    || die "apilb did not become ready (see $OUT/failover-apilb.log)"
}

# Until the proxy has every backend in rotation again: HAProxy and apilb both
# need a few checks after a restart. Waits for their own view of it.
wait_all_up() {
  local p=$1 deadline=$((SECONDS + 30))
  wait_until 30 "all three backends listening" all_backends_listening || die "backends not back"
  while ((SECONDS < deadline)); do
    case $p in
      haproxy) sleep 6; return 0 ;;   # rise 2 x inter 2s, plus margin (no stats socket configured)
      apilb)
        if curl -fsS "http://127.0.0.1:$APILB_ADMIN_PORT/backends" 2>/dev/null \
            | grep -o '"state" *: *"ready"' | wc -l | grep -qx 3; then return 0; fi
        sleep 1 ;;
    esac
  done
  die "$p did not get all three backends back in rotation within 30 s"
}

run_load() {  # PROXY PORT
  local p=$1 port=$2
  log "$p: load ${RATE} req/s over $CLIENTS HTTP/2 connections + $WATCHES watches; timeline ${STEADY}s / kill cp1 / ${AFTER_KILL}s / cp1 back / ${GAP}s / graceful cp2 (${GRACE_DELAY}s + ${GRACE_DOWN}s) / ${MEASURE}s"
  "$LOAD_JAVA" "$FO/FailoverLoad.java" --proxy "$p" --url "https://127.0.0.1:$port" \
    --ca "$OUT/failover-ca.crt" --control "http://127.0.0.1:$CONTROL_PORT" \
    --rate "$RATE" --clients "$CLIENTS" --watches "$WATCHES" \
    --warmup "$WARMUP" --steady "$STEADY" --after-kill "$AFTER_KILL" --gap "$GAP" \
    --graceful-delay "$GRACE_DELAY" --graceful-down "$GRACE_DOWN" --measure "$MEASURE" \
    --kill cp1 --graceful cp2 --backends cp1,cp2,cp3 \
    --md "$OUT/failover-sections.md" --summary "$OUT/failover-summary.tsv" \
    >"$OUT/failover-load-$p.txt" 2>"$OUT/failover-load-$p.log" &
  LOAD_PID=$!
  wait "$LOAD_PID" || { tail -20 "$OUT/failover-load-$p.log" >&2; die "load generator failed against $p"; }
  LOAD_PID=""
  if [[ $p == apilb ]]; then
    curl -fsS "http://127.0.0.1:$APILB_ADMIN_PORT/backends" >"$OUT/failover-apilb-backends.json" 2>/dev/null || true
  fi
}

main() {
  ensure_tools
  mkdir -p "$OUT"
  rm -f "$OUT"/failover-*.log "$OUT"/failover-load-*.txt "$OUT/failover-sections.md" "$OUT/failover-summary.tsv"
  LOAD_JAVA="$(pick_java)"
  log "load generator JVM: $LOAD_JAVA ($("$LOAD_JAVA" -version 2>&1 | head -1))"
  [[ -x $APILB_BIN ]] || die "apilb launcher not found at $APILB_BIN"
  make_certs
  declare -A PORT=([haproxy]=$HAPROXY_PORT [apilb]=$APILB_PORT)
  local p sim_pid proxy_pid
  local loadavg_start; loadavg_start="$(cut -d' ' -f1 /proc/loadavg)"
  # Each proxy gets fresh simulated apiservers and starts fresh itself, so
  # that neither sees the other's faults.
  for p in $PROXIES; do
    start_sim
    sim_pid=$LAST_PID
    case $p in
      haproxy) start_haproxy ;;
      apilb) start_apilb ;;
      *) die "unknown proxy $p (haproxy, apilb)" ;;
    esac
    proxy_pid=$LAST_PID
    wait_all_up "$p"
    run_load "$p" "${PORT[$p]}"
    cat "$OUT/failover-load-$p.txt"
    cp "$OUT/failover-sim.log" "$OUT/failover-sim-$p.log"
    stop_pid "$proxy_pid" 5
    stop_pid "$sim_pid" 5
  done

  # ---- report ----
  local summary md="$OUT/failover.md"
  summary="$(
    echo "| proxy | failed requests | … by phase (steady / cp1 killed / cp1 back / cp2 graceful / final) | broken client connections | new client connections | watch errors | requests cp1/cp2/cp3, last ${MEASURE} s | watches cp1/cp2/cp3 at end |"
    echo "|---|---:|---|---:|---:|---:|---|---|"
    while IFS=$'\t' read -r name total byphase broken newc werr share wat; do
      echo "| $name | $total | $byphase | $broken | $newc | $werr | $share | $wat |"
    done <"$OUT/failover-summary.tsv"
  )"
  echo
  echo "$summary"
  echo
  {
    echo "### Failover: apilb vs HAProxy (kubeadm-guide L4) — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'); apilb $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'); load generator on $("$LOAD_JAVA" -version 2>&1 | head -1)."
    echo "Load: $RATE GET/s over $CLIENTS HTTP/2 client connections + $WATCHES watches; timeline ${STEADY} s steady, kill cp1 (abrupt), ${AFTER_KILL} s, cp1 back, ${GAP} s, cp2 graceful restart (readyz failing ${GRACE_DELAY} s, then GOAWAY/drain, down ${GRACE_DOWN} s), ${MEASURE} s measured."
    echo "1-min load average before: $loadavg_start, after: $(cut -d' ' -f1 /proc/loadavg)."
    echo
    echo "$summary"
    echo
    cat "$OUT/failover-sections.md"
  } >>"$md"
  log "markdown appended to $md"
}

main "$@"
