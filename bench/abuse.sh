#!/usr/bin/env bash
# Hostile clients against apilb and HAProxy (Debian's, with its recommended timeouts), side by
# side in one run, in front of the same three nginx TLS backends, all on 127.0.0.1:
#   slowloris    SLOW_CONNS partial request heads that never end; a normal client's p99 while
#                they are held (from the moment all are connected) vs unloaded, and how many attack
#                connections are open at the end (well after the 10 s header timeout);
#   rapid reset  HTTP/2 HEADERS + RST_STREAM pairs; backend requests and backend TLS handshakes
#                per 1,000 resets (handshakes = backend accepts during the run and 3 s after, minus
#                the health checks' accept rate measured over 4 idle seconds before);
#   idle         IDLE_CONNS keep-alive TLS connections after one request each; RSS per connection.
# One proxy runs at a time (counts and RSS are its own). Every loop is bounded; every process
# started here is stopped on exit (bench/lib.sh). See bench/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out-abuse}"
SLOW_CONNS="${ABUSE_SLOW_CONNS:-1500}"
SLOW_HOLD="${ABUSE_SLOW_HOLD:-25}"      # seconds the slowloris client keeps trying
RESETS="${ABUSE_RESETS:-10000}"
RESET_CONNS="${ABUSE_RESET_CONNS:-6}"
IDLE_CONNS="${ABUSE_IDLE_CONNS:-2000}"
LAT_SECONDS="${ABUSE_LAT_SECONDS:-8}"   # h2load run of the normal client
# Connection cap of both proxies (HAProxy maxconn, apilb max-connections). HAProxy needs two file
# descriptors per connection and refuses to start above the hard limit, so it follows `ulimit -Hn`.
MAXCONN="${ABUSE_MAXCONN:-$(( $(ulimit -Hn) / 2 - 100 < 20000 ? $(ulimit -Hn) / 2 - 100 : 20000 ))}"
PORT_BASE="${BENCH_PORT_BASE:-19500}"
APILB_BIN="${APILB_BIN:-$ROOT/bin/apilb}"
PROXIES="${ABUSE_PROXIES:-haproxy apilb}"
PHASES="${ABUSE_PHASES:-slowloris reset idle}"
URL_PATH="/api/v1/namespaces/default/configmaps/bench"
B_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))" "$((PORT_BASE + 3))")
STATUS_PORT=$((PORT_BASE + 9))
PROXY_PORT=$((PORT_BASE + 10))
ADMIN_PORT=$((PORT_BASE + 11))

LOG_TAG=abuse
FILE_PREFIX=""
mkdir -p "$OUT"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

missing=()
command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
install_packages "${missing[@]}"

make_certs
cat "$OUT/front.crt" "$OUT/front.key" >"$OUT/front.pem"

# ---- backends: the bench's nginx servers plus a stub_status endpoint for accept counts ----------
servers=""
for i in 0 1 2; do
  s="$(render "$HERE/nginx-server.in")"; s="${s//@PORT@/${B_PORTS[$i]}}"; servers+="${s//@NAME@/b$((i + 1))}"$'\n'
done
servers+="  server { listen 127.0.0.1:$STATUS_PORT; access_log off; location = /status { stub_status; } }"
conf="$(render "$HERE/nginx.conf.in")"; conf="${conf//@NGINX_WORKERS@/1}"
printf '%s\n' "${conf//@SERVERS@/$servers}" >"$OUT/nginx.conf"
mkdir -p "$OUT/nginx-tmp"
start nginx "$(command -v nginx || echo /usr/sbin/nginx)" -e "$OUT/nginx-error.log" -p "$OUT" -c "$OUT/nginx.conf" -g 'daemon off;'
wait_until 15 nginx curl -fsS "http://127.0.0.1:$STATUS_PORT/status" || die "nginx did not start"

accepts() { curl -fsS "http://127.0.0.1:$STATUS_PORT/status" | awk 'NR == 3 {print $1}'; }
bench_requests() { sleep 1.5; cat "$OUT"/access-b*.log 2>/dev/null | grep -c "$URL_PATH" || true; }

# ---- the proxies ------------------------------------------------------------------------------
cat >"$OUT/haproxy.cfg" <<EOF
# HAProxy with the timeouts its documentation recommends against slow and idle clients,
# set to apilb's defaults (a whole request head within 10 s, 90 s idle) and the same connection cap.
global
  nbthread 2
  maxconn $MAXCONN
  ssl-server-verify required
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout http-request 10s
  timeout http-keep-alive 90s
  timeout client 90s
  timeout server 60s
  http-reuse always
frontend fe
  bind 127.0.0.1:$PROXY_PORT ssl crt $OUT/front.pem alpn h2,http/1.1
  default_backend be
backend be
  balance roundrobin
  option httpchk GET /readyz
  default-server ssl verify required ca-file $OUT/ca.crt sni str(localhost) verifyhost localhost check inter 2s
  server b1 127.0.0.1:${B_PORTS[0]}
  server b2 127.0.0.1:${B_PORTS[1]}
  server b3 127.0.0.1:${B_PORTS[2]}
EOF
cat >"$OUT/apilb.conf" <<EOF
# apilb with its default listener timeouts; every attack comes from 127.0.0.1, so the per-source
# limit is off (HAProxy has none) and the global one is HAProxy's maxconn.
apilb {
  listener {
    address = "127.0.0.1", port = $PROXY_PORT
    tls { cert-file = "$OUT/front.crt", key-file = "$OUT/front.key" }
    limits { max-connections = $MAXCONN, max-connections-per-source = 0 }
  }
  backends = [
    { name = "b1", address = "127.0.0.1:${B_PORTS[0]}" }
    { name = "b2", address = "127.0.0.1:${B_PORTS[1]}" }
    { name = "b3", address = "127.0.0.1:${B_PORTS[2]}" }
  ]
  backend-tls { ca-file = "$OUT/ca.crt", server-name = "localhost" }
  admin { address = "127.0.0.1", port = $ADMIN_PORT }
  shutdown { delay = 0s, drain-timeout = 2s }
}
EOF

start_proxy() {
  if [[ $1 == haproxy ]]; then
    start haproxy "$(command -v haproxy || echo /usr/sbin/haproxy)" -db -f "$OUT/haproxy.cfg"
  else
    start apilb "$APILB_BIN" run --config "$OUT/apilb.conf"
  fi
  PROXY_PID=$LAST_PID
  wait_until 60 "$1" curl -fsS --http2 -k "https://127.0.0.1:$PROXY_PORT$URL_PATH" || die "$1 did not serve (see $OUT/$1.log)"
  sleep 3 # every backend through its health checks
}

stop_proxy() {
  kill -TERM -- "-$PROXY_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PROXY_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$PROXY_PID" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$PROXY_PID/status"; }

# p99 (ms) of a normal client: 4 connections, one request at a time each
normal_p99() {
  local log="$OUT/h2load-$1.tsv"
  rm -f "$log"
  h2load -D "$LAT_SECONDS" -c 4 -m 1 -t 1 --log-file="$log" "https://127.0.0.1:$PROXY_PORT$URL_PATH" >"$OUT/h2load-$1.out" 2>&1 || true
  awk -F'\t' '{print $3}' "$log" | sort -n | awk '{a[NR] = $1} END {if (NR == 0) {print "nan"; exit}
    i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", a[i] / 1000}'
}

declare -A R
for proxy in $PROXIES; do
  log "=== $proxy"
  start_proxy "$proxy"
  h2load -D 3 -c 4 -m 1 "https://127.0.0.1:$PROXY_PORT$URL_PATH" >/dev/null 2>&1 || true # priming
  R[$proxy.p99_idle]="$(normal_p99 "$proxy-unloaded")"

  R[$proxy.p99_slow]=-; R[$proxy.slow]=-; R[$proxy.reset]=-; R[$proxy.reset_req]=-; R[$proxy.reset_hs]=-
  R[$proxy.idle]=-; R[$proxy.rss]=-
  if [[ " $PHASES " == *" slowloris "* ]]; then
  log "slowloris: $SLOW_CONNS connections for ${SLOW_HOLD}s"
  python3 "$HERE/abuse.py" slowloris "$PROXY_PORT" "$SLOW_CONNS" "$SLOW_HOLD" >"$OUT/slowloris-$proxy.out" 2>&1 &
  slow=$!
  # measured once every attack connection is in (their TLS handshakes are not what is measured)
  for _ in $(seq 1200); do grep -q connected= "$OUT/slowloris-$proxy.out" 2>/dev/null && break; sleep 0.1; done
  R[$proxy.p99_slow]="$(normal_p99 "$proxy-slowloris")"
  wait "$slow" || true
  R[$proxy.slow]="$(tr '\n' ' ' <"$OUT/slowloris-$proxy.out")"
  fi

  if [[ " $PHASES " == *" reset "* ]]; then

  log "rapid reset: $RESETS resets over $RESET_CONNS connections"
  # health checks open backend connections too: their rate, measured first, is taken off
  b0=$(accepts); sleep 4; b1=$(accepts)
  q0=$(bench_requests); a0=$(accepts); t0=$(date +%s.%N)
  python3 "$HERE/abuse.py" rapidreset "$PROXY_PORT" "$RESET_CONNS" "$RESETS" >"$OUT/rapidreset-$proxy.out" 2>&1 || true
  sleep 3 # cancelled backend attempts settle
  a1=$(accepts); t1=$(date +%s.%N); q1=$(bench_requests)
  hs=$(awk -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t="$(awk -v x="$t0" -v y="$t1" 'BEGIN {print y - x}')" \
    'BEGIN {h = a - b / 4 * t; if (h < 0) h = 0; printf "%d", h}')
  log "backend accepts: $((b1 - b0)) in 4 s idle, $((a1 - a0)) during the resets and 3 s after; bench requests $q0 -> $q1"
  R[$proxy.reset]="$(cat "$OUT/rapidreset-$proxy.out"), backend handshakes $hs (accepts $((a1 - a0)) minus health checks)"
  resets=$(sed -n 's/.*resets=\([0-9]*\).*/\1/p' "$OUT/rapidreset-$proxy.out"); resets=${resets:-0}
  R[$proxy.reset_req]=$(awk -v q=$((q1 - q0)) -v r="$resets" 'BEGIN {printf "%.1f", r ? q * 1000 / r : 0}')
  R[$proxy.reset_hs]=$(awk -v h="$hs" -v r="$resets" 'BEGIN {printf "%.1f", r ? h * 1000 / r : 0}')

  fi

  if [[ " $PHASES " == *" idle "* ]]; then
  # a fresh process, primed: what the attacks before left allocated would hide the growth
  stop_proxy
  start_proxy "$proxy"
  h2load -D 3 -c 4 -m 1 "https://127.0.0.1:$PROXY_PORT$URL_PATH" >/dev/null 2>&1 || true
  log "idle: $IDLE_CONNS keep-alive connections"
  rss0=$(rss_kib)
  python3 "$HERE/abuse.py" idle "$PROXY_PORT" "$IDLE_CONNS" 5 >"$OUT/idle-$proxy.out" 2>&1 &
  idle_pid=$!
  for _ in $(seq 600); do grep -q connected= "$OUT/idle-$proxy.out" 2>/dev/null && break; sleep 0.1; done
  sleep 1
  rss1=$(rss_kib)
  wait "$idle_pid" || true
  n=$(sed -n 's/^connected=\([0-9]*\).*/\1/p' "$OUT/idle-$proxy.out"); n=${n:-0}
  R[$proxy.idle]="connected=$n, RSS ${rss0} -> ${rss1} KiB"
  R[$proxy.rss]=$(awk -v d=$((rss1 - rss0)) -v n="$n" 'BEGIN {printf "%.1f", n ? d / n : 0}')
  fi
  stop_proxy
done

{
  echo "| proxy | normal p99 unloaded / under slowloris (ms) | slowloris: open at end of ${SLOW_HOLD}s / connected | backend requests per 1,000 resets | backend TLS handshakes per 1,000 resets | RSS per idle connection (KiB) |"
  echo "|---|---:|---|---:|---:|---:|"
  for proxy in $PROXIES; do
    echo "| $proxy | ${R[$proxy.p99_idle]} / ${R[$proxy.p99_slow]} | ${R[$proxy.slow]} | ${R[$proxy.reset_req]} | ${R[$proxy.reset_hs]} | ${R[$proxy.rss]} |"
  done
  echo
  for proxy in $PROXIES; do echo "- $proxy: rapid reset ${R[$proxy.reset]}; idle ${R[$proxy.idle]}"; done
} | tee "$OUT/result.md"
