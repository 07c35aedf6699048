#!/usr/bin/env bash
# Watches over multiplexed HTTP/2 backends: apilb vs HAProxy L7 (HTTP/2 to the backends) vs
# HAProxy L4 (TLS passthrough, as in the kubeadm HA guide), one after the other in one run, in
# front of the same three simulated kube-apiservers (`apilb sim`, HTTP/2, authenticating like
# kubeadm's kube-apiserver). For each proxy, bench/tools/WatchLoad.java holds BENCH_WATCHES idle
# watches over BENCH_WATCH_CONNS HTTP/2 client connections, then opens a burst of BENCH_BURST more
# while those are held. Reported per proxy: backend connections (ESTABLISHED TCP connections from
# the proxy's pid to the three apiserver ports), RSS before/after the held watches and per watch,
# and the burst's time to first byte. See bench/README.md.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped on exit (trap), also
# on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out}"

# ---- knobs ------------------------------------------------------------------------------------
WATCHES="${BENCH_WATCHES:-10000}"         # watches held
CONNS="${BENCH_WATCH_CONNS:-100}"         # HTTP/2 client connections they are spread over
BURST="${BENCH_BURST:-2000}"              # new watches opened at once while those are held
RATE="${BENCH_OPEN_RATE:-0}"              # watches/s while opening the held ones; 0 = all at once
PRIME="${BENCH_PRIME_WATCHES:-200}"       # unmeasured watches opened and cancelled first (JIT, pools)
SETTLE="${BENCH_SETTLE:-5}"               # s between the last answer and a measurement
TICK="${BENCH_TICK:-1h}"                  # the sims change a watched ConfigMap this often: idle watches
PROXIES="${BENCH_WATCH_PROXIES:-apilb haproxy-l7 haproxy-l4}"
PORT_BASE="${BENCH_PORT_BASE:-19600}"
APILB_BIN="${APILB_BIN:-$ROOT/bin/apilb}"
APILB_JAR="${APILB_JAR:-$ROOT/target/apilb.jar}"
# HAProxy's maxconn; it sizes its file descriptors from it (two per connection) and refuses to
# start above the hard limit. Backend connections count against the descriptors only.
MAXCONN="${BENCH_MAXCONN:-$(( $(ulimit -Hn) / 2 - 100 < 20000 ? $(ulimit -Hn) / 2 - 100 : 20000 ))}"
LOAD_JAVA_OPTS="${BENCH_LOAD_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC}"
TOKEN="watchbench-token"                  # the sims accept any bearer token (as user token:<it>)
URL_PATH="/api/v1/namespaces/default/configmaps"

B_NAMES=(cp1 cp2 cp3)
B_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))" "$((PORT_BASE + 3))")
CONTROL_PORT=$((PORT_BASE + 9))
declare -A PORT=([haproxy-l7]=$((PORT_BASE + 10)) [haproxy-l4]=$((PORT_BASE + 11)) [apilb]=$((PORT_BASE + 20)))
HAPROXY_STATS_PORT=$((PORT_BASE + 12))
APILB_ADMIN_PORT=$((PORT_BASE + 21))
NCPU="$(nproc)"

LOG_TAG=watches
FILE_PREFIX=watches-
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
P="$OUT/$FILE_PREFIX"   # every file this script writes starts with this

# ---- tools ------------------------------------------------------------------------------------
ensure_tools() {
  local missing=()
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v ss >/dev/null 2>&1 || missing+=(iproute2)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  # WatchLoad.java runs as a single-file source program: it needs the compiler module of a JDK.
  java --list-modules 2>/dev/null | grep -q '^jdk.compiler@' || missing+=(openjdk-17-jdk-headless)
  install_packages "${missing[@]}"
}

# File descriptors: L4 HAProxy holds two per client connection; the JVMs raise their soft limit
# to the hard one by themselves. One limit for everything started from here.
raise_fd_limit() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  local need=$((4 * (CONNS + BURST / 100) + 1000))
  if (($(ulimit -n) < need)); then
    log "WARNING: ulimit -n is $(ulimit -n), below the ~$need this run may need"
  fi
}

# ---- certificates -----------------------------------------------------------------------------
# kubeadm's layout: the cluster CA signs the apiservers' and the proxies' serving certificates and
# the client certificate; a separate front-proxy CA signs front-proxy-client, which only apilb
# presents (it asserts its clients' certificate identities with it).
make_watch_certs() {
  make_certs   # ${P}ca, ${P}backend (apiservers), ${P}front (the proxies), all for 127.0.0.1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=front-proxy-ca" \
    -keyout "${P}front-proxy-ca.key" -out "${P}front-proxy-ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue_client front-proxy-client "/CN=front-proxy-client" front-proxy-ca
  issue_client client "/O=watchbench:clients/CN=watchbench" ca
  mkdir -p "${P}pki"
  local f
  for f in ca.crt front-proxy-ca.crt front-proxy-client.crt front-proxy-client.key; do cp "${P}$f" "${P}pki/$f"; done
  cat "${P}front.crt" "${P}front.key" >"${P}front.pem"   # HAProxy wants certificate and key in one file
  chmod 600 "${P}"*.key "${P}front.pem" "${P}pki/"*.key
}

# issue_client NAME SUBJECT ISSUER : a clientAuth certificate ${P}NAME.{crt,key} signed by ${P}ISSUER
issue_client() {
  local name=$1 subj=$2 issuer=$3
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "${P}$name.key" -out "${P}$name.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"${P}$name.ext"
  openssl x509 -req -in "${P}$name.csr" -CA "${P}$issuer.crt" -CAkey "${P}$issuer.key" -CAcreateserial \
    -days 2 -sha256 -extfile "${P}$name.ext" -out "${P}$name.crt" 2>/dev/null
}

# ---- the simulated apiservers -----------------------------------------------------------------
sim_stats() { curl -fsS "http://127.0.0.1:$CONTROL_PORT/stats"; }
sim_watches() { sim_stats | jq '[.[].watches] | add'; }

start_sim() {
  local args=() i
  for i in 0 1 2; do args+=(--backend "${B_NAMES[$i]}=${B_PORTS[$i]}"); done
  # Authenticating like kubeadm's kube-apiserver: request-header identities only over connections
  # presenting front-proxy-client, x509 client certificates of the cluster CA, bearer tokens.
  start sim "$APILB_BIN" sim "${args[@]}" --cert "${P}backend.crt" --key "${P}backend.key" \
    --control-port "$CONTROL_PORT" --tick "$TICK" \
    --client-ca-file "${P}ca.crt" --requestheader-client-ca-file "${P}front-proxy-ca.crt"
  wait_until 120 "simulated apiservers (control :$CONTROL_PORT)" \
    bash -c "curl -fsS http://127.0.0.1:$CONTROL_PORT/stats | grep -o '\"listening\":true' | wc -l | grep -qx 3" \
    || die "the simulated apiservers did not come up (see ${P}sim.log)"
}

# wait_sims_idle : until no watch is open at the sims (the previous load's streams are gone)
wait_sims_idle() {
  local deadline=$((SECONDS + 60)) n
  while :; do
    n="$(sim_watches)"
    ((n == 0)) && return 0
    ((SECONDS < deadline)) || { log "WARNING: $n watches still open at the sims after 60 s"; return 0; }
    sleep 0.5
  done
}

# ---- the proxies ------------------------------------------------------------------------------
write_configs() {
  local servers="" i
  # HAProxy L7: HTTP/2 to the apiservers (ALPN h2), connections shared by every client
  # (http-reuse always), each carrying up to the apiserver's SETTINGS_MAX_CONCURRENT_STREAMS.
  # Watches authenticate with a bearer token that HAProxy forwards. The front end advertises 250
  # concurrent streams like apilb and kube-apiserver (HAProxy 2.6's default is 100). Timeouts
  # of an hour: the watches are idle (a BOOKMARK a minute), and HAProxy would cut a stream quiet
  # for longer than `timeout server`/`client`.
  for i in 0 1 2; do servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]}"$'\n'; done
  cat >"${P}haproxy-l7.cfg" <<EOF
global
  nbthread $NCPU
  maxconn $MAXCONN
  ssl-server-verify required
  tune.h2.max-concurrent-streams 250
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout http-request 10s
  timeout http-keep-alive 90s
  timeout client 1h
  timeout server 1h
  http-reuse always
frontend fe
  bind 127.0.0.1:${PORT[haproxy-l7]} ssl crt ${P}front.pem alpn h2,http/1.1
  default_backend be
backend be
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server ssl verify required ca-file ${P}ca.crt alpn h2 check check-alpn http/1.1 inter 2s rise 2 fall 3
${servers}listen stats
  mode http
  bind 127.0.0.1:$HAPROXY_STATS_PORT
  stats enable
  stats uri /stats
EOF
  # HAProxy L4 as in the kubeadm HA guide: TLS passes through, so each client connection is one
  # backend connection and the client's certificate authenticates it at the apiserver. The guide's
  # 20 s client/server timeouts would cut idle watches, so they are an hour here too.
  servers=""
  for i in 0 1 2; do servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]} check check-ssl verify none"$'\n'; done
  cat >"${P}haproxy-l4.cfg" <<EOF
global
  maxconn $MAXCONN
defaults
  mode tcp
  option redispatch
  retries 1
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout check 10s
frontend apiserver
  bind 127.0.0.1:${PORT[haproxy-l4]}
  option tcplog
  default_backend apiserverbackend
backend apiserverbackend
  option httpchk GET /readyz
  http-check expect status 200
  balance roundrobin
${servers}listen stats
  mode http
  bind 127.0.0.1:$HAPROXY_STATS_PORT
  stats enable
  stats uri /stats
EOF
  # apilb from a kubeadm pki directory (cluster CA for clients and backends, front-proxy-client),
  # HTTP/2 to the backends (backend-tls.http2 = auto, the default), listener defaults (250
  # concurrent streams per client connection). Per-source connection limit off: every client is
  # 127.0.0.1.
  cat >"${P}apilb.conf" <<EOF
apilb {
  pki-dir = "${P}pki"
  listener {
    address = "127.0.0.1", port = ${PORT[apilb]}
    tls { cert-file = "${P}front.crt", key-file = "${P}front.key" }
    limits { max-connections-per-source = 0 }
  }
  backends = [
    { name = "cp1", address = "127.0.0.1:${B_PORTS[0]}" }
    { name = "cp2", address = "127.0.0.1:${B_PORTS[1]}" }
    { name = "cp3", address = "127.0.0.1:${B_PORTS[2]}" }
  ]
  backend-tls { http2 = "auto" }
  admin { address = "127.0.0.1", port = $APILB_ADMIN_PORT }
  shutdown { delay = 0s, drain-timeout = 2s }
}
EOF
}

# curl through proxy $1 with its credential (client certificate or token)
curl_via() {
  local p=$1; shift
  local cred=(--cert "${P}client.crt" --key "${P}client.key")
  [[ $p == haproxy-l7 ]] && cred=(-H "Authorization: Bearer $TOKEN")
  curl -fsS --http2 --cacert "${P}ca.crt" "${cred[@]}" "$@" "https://127.0.0.1:${PORT[$p]}$URL_PATH"
}

all_servers_up() {  # PROXY : true once the proxy has all three apiservers in rotation
  case $1 in
    apilb) curl -fsS "http://127.0.0.1:$APILB_ADMIN_PORT/backends" | grep -o '"state" *: *"ready"' | wc -l | grep -qx 3 ;;
    haproxy-*) curl -fsS "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv" | awk -F, '$1 ~ /^(be|apiserverbackend)$/ && $2 ~ /^cp/ && $18 == "UP"' | wc -l | grep -qx 3 ;;
  esac
}

start_proxy() {
  local p=$1 hb
  hb="$(command -v haproxy || echo /usr/sbin/haproxy)"
  case $p in
    apilb) start apilb "$APILB_BIN" run --config "${P}apilb.conf" ;;
    haproxy-l7 | haproxy-l4)
      "$hb" -c -q -f "${P}$p.cfg" || die "haproxy config check failed (see ${P}$p.cfg)"
      start "$p" "$hb" -db -f "${P}$p.cfg" ;;
    *) die "unknown proxy $p (apilb, haproxy-l7, haproxy-l4)" ;;
  esac
  PROXY_PID=$LAST_PID
  wait_until 60 "$p (:${PORT[$p]})" curl_via "$p" || die "$p did not serve $URL_PATH (see ${P}$p.log)"
  wait_until 30 "$p: all three apiservers in rotation" all_servers_up "$p" || die "$p: not all apiservers up"
}

stop_proxy() {
  kill -TERM -- "-$PROXY_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
}

# ---- measurements -----------------------------------------------------------------------------
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# live_heap_kib PID : a JVM's (apilb's) heap in use right after a full collection, in KiB. The
# JVM's RSS includes heap pages that only held garbage, so this says what the watches retain.
live_heap_kib() {
  local jcmd; jcmd="$(dirname "$(readlink -f "$(command -v java)")")/jcmd"
  "$jcmd" "$1" GC.run >/dev/null 2>&1 || { echo "-"; return 0; }
  "$jcmd" "$1" GC.heap_info 2>/dev/null | awk '/total .*used/ {
    for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); s += v } } END { print s + 0 }'
}

# backend_conns PID : "total cp1/cp2/cp3" ESTABLISHED TCP connections of PID to the apiservers
backend_conns() {
  local pid=$1 i n total=0 per=()
  for i in 0 1 2; do
    n="$(ss -Htnp state established "( dport = :${B_PORTS[$i]} )" | grep -c "pid=$pid," || true)"
    per+=("$n"); total=$((total + n))
  done
  echo "$total ${per[0]}/${per[1]}/${per[2]}"
}

# sim_view : "open watches cp1/cp2/cp3, connections at the sims, requests by authentication"
sim_view() {
  sim_stats | jq -r '"\([.[].watches] | add) (\(map(.watches | tostring) | join("/"))) \([.[].connections] | add) \(
    [.[].auth // {} | to_entries[]] | group_by(.key) | map("\(.[0].key)=\(map(.value) | add)") | join(","))"'
}

# the load generator, in the background (a signal to this script then acts at once)
run_load() {  # PROXY TAG ARGS...
  local p=$1 tag=$2; shift 2
  local cred=(--cert "${P}client.crt" --key "${P}client.key")
  [[ $p == haproxy-l7 ]] && cred=(--token "$TOKEN")
  # shellcheck disable=SC2086
  java $LOAD_JAVA_OPTS -cp "$APILB_JAR" "$HERE/tools/WatchLoad.java" --url "https://127.0.0.1:${PORT[$p]}" \
    --path "$URL_PATH" --ca "${P}ca.crt" "${cred[@]}" "$@" >"${P}load-$p-$tag.json" 2>"${P}load-$p-$tag.log" &
  LOAD_PID=$!
}

# wait_phase FILE PHASE : until the load generator printed PHASE (dies if it exited first)
wait_phase() {
  local file=$1 phase=$2 deadline=$((SECONDS + 600))
  until grep -q "\"phase\":\"$phase\"" "$file" 2>/dev/null; do
    kill -0 "$LOAD_PID" 2>/dev/null || { tail -20 "${file%.json}.log" >&2; die "the load generator exited before '$phase'"; }
    ((SECONDS < deadline)) || die "no '$phase' from the load generator within 600 s"
    sleep 0.2
  done
  grep "\"phase\":\"$phase\"" "$file"
}

declare -A R   # results: R[proxy.key]

measure_proxy() {
  local p=$1 hold burst="" end
  local json="${P}load-$p-run.json"
  log "=== $p"
  curl -fsS -X POST "http://127.0.0.1:$CONTROL_PORT/reset" >/dev/null
  start_proxy "$p"
  if ((PRIME > 0)); then
    log "$p: priming with $PRIME watches over 10 connections (not measured)"
    run_load "$p" prime --connections 10 --watches "$PRIME"
    wait "$LOAD_PID" || { tail -20 "${P}load-$p-prime.log" >&2; die "priming $p failed"; }
    LOAD_PID=""
    log "  prime: $(jq -c '{opened, failed, p99: .ttfb_ms.p99}' <(grep '"phase":"hold"' "${P}load-$p-prime.json"))"
    wait_sims_idle
    # closing the primed watches must not have cost a backend (a health or outlier ejection)
    wait_until 60 "$p: all three apiservers still in rotation" all_servers_up "$p" || die "$p: an apiserver left rotation after priming"
    sleep 2
  fi
  curl -fsS -X POST "http://127.0.0.1:$CONTROL_PORT/reset" >/dev/null
  R[$p.rss0]=$(rss_kib "$PROXY_PID")
  R[$p.conns0]=$(backend_conns "$PROXY_PID")
  [[ $p == apilb ]] && R[$p.heap0]=$(live_heap_kib "$PROXY_PID")
  log "$p: before: RSS ${R[$p.rss0]} KiB, backend connections ${R[$p.conns0]}"

  rm -f "${P}go-burst" "${P}go-exit"
  log "$p: opening $WATCHES watches over $CONNS connections"
  run_load "$p" run --connections "$CONNS" --watches "$WATCHES" --rate "$RATE" --burst "$BURST" \
    --burst-when "${P}go-burst" --exit-when "${P}go-exit"
  hold="$(wait_phase "$json" hold)"
  log "  hold: $hold"
  sleep "$SETTLE"
  R[$p.rss1]=$(rss_kib "$PROXY_PID")
  R[$p.conns1]=$(backend_conns "$PROXY_PID")
  R[$p.sim1]=$(sim_view)
  # after RSS and before the burst: the full collection changes neither
  [[ $p == apilb ]] && R[$p.heap1]=$(live_heap_kib "$PROXY_PID")
  log "$p: holding: RSS ${R[$p.rss1]} KiB, backend connections ${R[$p.conns1]}, sims: ${R[$p.sim1]}"

  if ((BURST > 0)); then
    touch "${P}go-burst"
    burst="$(wait_phase "$json" burst)"
    log "  burst: $burst"
    sleep "$SETTLE"
  fi
  R[$p.rss2]=$(rss_kib "$PROXY_PID")
  R[$p.conns2]=$(backend_conns "$PROXY_PID")
  R[$p.sim2]=$(sim_view)
  log "$p: after the burst: RSS ${R[$p.rss2]} KiB, backend connections ${R[$p.conns2]}, sims: ${R[$p.sim2]}"
  touch "${P}go-exit"
  end="$(wait_phase "$json" end)"
  log "  end: $end"
  wait "$LOAD_PID" || true
  LOAD_PID=""

  R[$p.hold]=$hold
  R[$p.burst]=${burst:-'{}'}
  R[$p.end]=$end
  # apilb says when it ejects a backend or moves watches; those lines explain odd spreads
  if [[ $p == apilb ]]; then
    R[$p.events]="$(grep -E -- '-> ejected|-> ready|WatchRebalancer' "${P}apilb.log" | sed -E 's/^[^ ]+ +[A-Z]+ +//' | sort | uniq -c | sed -E 's/^ +//' | paste -sd ';' -)"
  fi
  stop_proxy
  wait_sims_idle
}

# ---- report -----------------------------------------------------------------------------------
# j PROXY KEY FILTER : a jq filter over one of the load generator's lines
j() { jq -r "$3 // \"-\"" <<<"${R[$1.$2]}"; }

report() {
  local p target_hold target_burst
  target_hold=$(( (WATCHES + 249) / 250 + NCPU * 3 ))
  target_burst=$(( (WATCHES + BURST + 249) / 250 + NCPU * 3 ))
  declare -A ROW
  for p in $PROXIES; do
    ROW[$p.rsspw]=$(awk -v a="${R[$p.rss0]}" -v b="${R[$p.rss1]}" -v n="$(j "$p" hold .opened)" \
      'BEGIN {printf "%.1f", (n > 0 ? (b - a) / n : 0)}')
  done
  local table
  table="$(
    echo "| proxy | backend conns before → holding ${WATCHES} (cp1/cp2/cp3) | after +${BURST} | RSS before → holding → after burst (MiB) | RSS per watch (KiB) | burst TTFB p50 / p99 / max (ms) | hold TTFB p99 (ms) | opened / failed (hold, burst) | client conns | ended while held / re-watched |"
    echo "|---|---|---|---|---:|---|---:|---|---:|---|"
    for p in $PROXIES; do
      read -r c0 _ <<<"${R[$p.conns0]}"; read -r c1 s1 <<<"${R[$p.conns1]}"; read -r c2 s2 <<<"${R[$p.conns2]}"
      printf '| %s | %s → %s (%s) | %s (%s) | %s → %s → %s | %s | %s / %s / %s | %s | %s / %s, %s / %s | %s | %s |\n' \
        "$p" "$c0" "$c1" "$s1" "$c2" "$s2" \
        "$(awk -v k="${R[$p.rss0]}" 'BEGIN {printf "%.0f", k / 1024}')" \
        "$(awk -v k="${R[$p.rss1]}" 'BEGIN {printf "%.0f", k / 1024}')" \
        "$(awk -v k="${R[$p.rss2]}" 'BEGIN {printf "%.0f", k / 1024}')" \
        "${ROW[$p.rsspw]}" "$(j "$p" burst .ttfb_ms.p50)" "$(j "$p" burst .ttfb_ms.p99)" "$(j "$p" burst .ttfb_ms.max)" \
        "$(j "$p" hold .ttfb_ms.p99)" "$(j "$p" hold .opened)" "$(j "$p" hold .failed)" \
        "$(j "$p" burst .opened)" "$(j "$p" burst .failed)" "$(j "$p" end .connections)" "$(j "$p" end .endedWhileHeld) / $(j "$p" end .rewatched)"
    done
  )"
  local notes
  notes="$(
    for p in $PROXIES; do
      echo "- $p: sims holding: watches (cp1/cp2/cp3), their connections, requests by authentication: ${R[$p.sim1]}; after the burst: ${R[$p.sim2]}; watches per backend as the client saw them (hold, burst): $(j "$p" hold '.backends | tostring'), $(j "$p" burst '.backends | tostring'); load generator errors: $(j "$p" end '.errors | tostring')"
      if [[ -n ${R[$p.events]:-} ]]; then
        echo "  - $p log (count × line, whole run incl. start and stop): ${R[$p.events]}"
      fi
    done
  )"
  local targets=""
  if [[ " $PROXIES " == *" apilb "* ]]; then
    read -r c1 _ <<<"${R[apilb.conns1]}"; read -r c2 _ <<<"${R[apilb.conns2]}"
    targets="$(
      echo "apilb against the issue's targets (reported, not asserted):"
      echo "- backend connections holding $WATCHES watches: $c1 (target ≤ ⌈$WATCHES/250⌉ + $NCPU event loops × 3 backends = $target_hold); after the burst: $c2 (same rule: $target_burst)"
      echo "- RSS per watch: ${ROW[apilb.rsspw]} KiB (target ≤ 16 KiB); live heap after a full GC: $(awk -v a="${R[apilb.heap0]}" -v b="${R[apilb.heap1]}" -v n="$(j apilb hold .opened)" \
        'BEGIN {printf "%.1f → %.1f MiB, %.1f KiB per watch", a / 1024, b / 1024, (n > 0 ? (b - a) / n : 0)}')"
      echo "- burst p99 TTFB: $(j apilb burst .ttfb_ms.p99) ms (target ≤ 500 ms)"
    )"
  fi
  local ratios="" o
  if [[ " $PROXIES " == *" apilb "* ]]; then
    for o in haproxy-l7 haproxy-l4; do
      [[ " $PROXIES " == *" $o "* ]] || continue
      ratios+="$(awk -v ac="${R[apilb.conns1]%% *}" -v oc="${R[$o.conns1]%% *}" -v ar="${ROW[apilb.rsspw]}" \
        -v orss="${ROW[$o.rsspw]}" -v ap="$(j apilb burst .ttfb_ms.p99)" -v op="$(j "$o" burst .ttfb_ms.p99)" -v o="$o" '
        function r(a, b) { return (b + 0 > 0 && a != "-" && b != "-") ? sprintf("%.2fx", a / b) : "n/a" }
        BEGIN { printf "ratio apilb/%s: backend connections %s, RSS per watch %s, burst p99 TTFB %s\n", o, r(ac, oc), r(ar, orss), r(ap, op) }')"$'\n'
    done
  fi

  echo
  echo "$table"
  echo
  printf '%s' "$ratios"
  [[ -n $targets ]] && echo "$targets"
  echo

  local md="${P}result.md"
  {
    echo "### Watches over multiplexed HTTP/2 backends — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $NCPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'); apilb $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'); $(java -version 2>&1 | head -1)."
    echo "Load: \`BENCH_WATCHES=$WATCHES BENCH_WATCH_CONNS=$CONNS BENCH_BURST=$BURST\`: $WATCHES watches (\`GET $URL_PATH?watch=true&allowWatchBookmarks=true&resourceVersion=<listed>\`) round robin over $CONNS HTTP/2 client connections ($( ((RATE > 0)) && echo "$RATE/s" || echo "all at once")), held; then $BURST more at once on the same connections. Each proxy primed with $PRIME watches first (not measured). Sims: 3 × \`apilb sim\` (HTTP/2, 250 streams per connection, kubeadm-style authentication), one ConfigMap change per $TICK (idle watches)."
    echo "Credentials: apilb — client certificate (cluster CA), asserted to the sims with front-proxy-client; HAProxy L7 — bearer token; HAProxy L4 — client certificate, passed through."
    echo "1-min load average before: $LOADAVG_START, after: $(cut -d' ' -f1 /proc/loadavg) (the machine is shared; other work skews TTFB most)."
    echo
    echo "$table"
    echo
    printf '%s' "$ratios"
    echo
    [[ -n $targets ]] && { echo "$targets"; echo; }
    echo "$notes"
  } >"$md"
  log "markdown written to $md"
}

# ---- main -------------------------------------------------------------------------------------
main() {
  [[ $EUID -eq 0 ]] || log "not root: apt installs will fail if tools are missing, and ss may not show other users' pids"
  ensure_tools
  raise_fd_limit
  [[ -x $APILB_BIN ]] || die "apilb launcher not found at $APILB_BIN"
  "$APILB_BIN" version >/dev/null || die "$APILB_BIN version failed"   # builds the jar if it is missing
  [[ -f $APILB_JAR ]] || die "apilb jar not found at $APILB_JAR (set APILB_JAR)"
  rm -f "${P}"*.log "${P}"*.json "${P}result.md" "${P}go-"*
  make_watch_certs
  write_configs
  LOADAVG_START="$(cut -d' ' -f1 /proc/loadavg)"
  if awk -v l="$LOADAVG_START" 'BEGIN{exit !(l > 0.5)}'; then
    log "WARNING: 1-min load average is $LOADAVG_START before the bench; figures will be noisy"
  fi
  start_sim
  local p
  for p in $PROXIES; do
    measure_proxy "$p"
  done
  report
}

main "$@"
