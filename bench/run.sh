#!/usr/bin/env bash
# Side-by-side benchmark: apilb vs HAProxy (Debian package), both in L7 mode
# in front of the same three TLS backends (nginx), driven by h2load (h2 over
# TLS) with identical parameters in the same run. See bench/README.md.
#
# Everything listens on 127.0.0.1 only; every process started here is stopped
# on exit (trap), also on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="${BENCH_OUT:-$HERE/out}"

# ---- knobs ------------------------------------------------------------------
DURATION="${BENCH_DURATION:-20}"      # seconds measured per round and proxy
WARMUP="${BENCH_WARMUP:-3}"           # h2load --warm-up-time, seconds, not measured
CLIENTS="${BENCH_CLIENTS:-16}"        # h2load -c: client connections
STREAMS="${BENCH_STREAMS:-10}"        # h2load -m: concurrent streams per connection
LOAD_THREADS="${BENCH_LOAD_THREADS:-1}"  # h2load -t
ROUNDS="${BENCH_ROUNDS:-2}"           # rounds; each round runs haproxy then apilb (order alternates)
PRIME="${BENCH_PRIME:-20}"            # unmeasured priming run per proxy (JIT, pools), seconds; 0 = off
BACKEND_PROTO="${BENCH_BACKEND_PROTO:-h2}"  # h2 (HAProxy's faster setup, so its best): both proxies multiplex HTTP/2; h1: HTTP/1.1 to the backends
LAT_RPS="${BENCH_LATENCY_RPS:-500}"   # added-latency run: fixed total rate (req/s); 0 = skip it
LAT_SECONDS="${BENCH_LATENCY_SECONDS:-15}"
LAT_CLIENTS=10                        # ... over this many client connections, one stream each
# Every request carries a bearer token: apilb never multiplexes anonymous requests (an
# anonymous HTTP/2 request makes kube-apiserver retire the connection), so without one the h2
# mode would measure HTTP/1.1. nginx ignores it; both proxies get the same requests.
AUTH_HEADER="authorization: Bearer bench-token"
NCPU="$(nproc)"
ALL_CPUS="0-$((NCPU - 1))"
PROXY_CPUS="${BENCH_PROXY_CPUS:-$ALL_CPUS}"  # taskset list for the proxy under test
LOAD_CPUS="${BENCH_LOAD_CPUS:-$ALL_CPUS}"    # taskset list for h2load and the nginx backends
PORT_BASE="${BENCH_PORT_BASE:-19400}"
APILB_BIN="${APILB_BIN:-$ROOT/bin/apilb}"
URL_PATH="/api/v1/namespaces/default/configmaps/bench"

B_PORTS=("$((PORT_BASE + 1))" "$((PORT_BASE + 2))" "$((PORT_BASE + 3))")
B_NAMES=(b1 b2 b3)
HAPROXY_PORT=$((PORT_BASE + 10))
APILB_PORT=$((PORT_BASE + 20))
APILB_ADMIN_PORT=$((PORT_BASE + 21))

LOG_TAG=bench
FILE_PREFIX=""
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

# Number of CPUs in a taskset-style list such as "0-1" or "0,2-3".
cpu_count() {
  local n=0 part a b
  IFS=',' read -ra parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then a=${part%-*}; b=${part#*-}; n=$((n + b - a + 1)); else n=$((n + 1)); fi
  done
  echo "$n"
}
PROXY_THREADS="${BENCH_PROXY_THREADS:-$(cpu_count "$PROXY_CPUS")}"

# ---- tools ------------------------------------------------------------------
ensure_tools() {
  local missing=()
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  install_packages "${missing[@]}"
}

# ---- certificates -----------------------------------------------------------
make_bench_certs() {
  make_certs
  cat "$OUT/front.crt" "$OUT/front.key" >"$OUT/front.pem"   # HAProxy wants cert+key in one file
  chmod 600 "$OUT/front.pem"
}

# ---- backends -----------------------------------------------------------------
start_backends() {
  local servers="" i s
  for i in 0 1 2; do
    s="$(render "$HERE/nginx-server.in")"
    s="${s//@PORT@/${B_PORTS[$i]}}"
    servers+="${s//@NAME@/${B_NAMES[$i]}}"$'\n'
  done
  local conf
  conf="$(render "$HERE/nginx.conf.in")"
  conf="${conf//@NGINX_WORKERS@/$(cpu_count "$LOAD_CPUS")}"
  printf '%s\n' "${conf//@SERVERS@/$servers}" >"$OUT/nginx.conf"
  mkdir -p "$OUT/nginx-tmp"
  local nginx_bin; nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
  "$nginx_bin" -t -q -e "$OUT/nginx-error.log" -p "$OUT" -c "$OUT/nginx.conf" \
    || die "nginx config test failed (see $OUT/nginx.conf)"
  start nginx taskset -c "$LOAD_CPUS" "$nginx_bin" -e "$OUT/nginx-error.log" -p "$OUT" -c "$OUT/nginx.conf" -g 'daemon off;'
  NGINX_PID=$LAST_PID
  for i in 0 1 2; do
    wait_until 15 "backend ${B_NAMES[$i]} (:${B_PORTS[$i]})" \
      curl -fsS --cacert "$OUT/ca.crt" "https://127.0.0.1:${B_PORTS[$i]}/readyz" \
      || die "backend ${B_NAMES[$i]} did not come up (see $OUT/nginx.log, $OUT/nginx-error.log)"
  done
  local body
  body="$(curl -fsS --cacert "$OUT/ca.crt" "https://localhost:${B_PORTS[0]}$URL_PATH")"
  BODY_LEN=${#body}
  log "backend body is $BODY_LEN bytes"
}

# ---- proxies ------------------------------------------------------------------
start_haproxy() {
  local servers="" i
  for i in 0 1 2; do
    servers+="  server ${B_NAMES[$i]} 127.0.0.1:${B_PORTS[$i]}"$'\n'
  done
  local conf
  conf="$(render "$HERE/haproxy.cfg.in")"
  conf="${conf//@PROXY_THREADS@/$PROXY_THREADS}"
  conf="${conf//@HAPROXY_PORT@/$HAPROXY_PORT}"
  local alpn=""; [[ $BACKEND_PROTO == h2 ]] && alpn="alpn h2 check-alpn http/1.1"
  conf="${conf//@SERVER_ALPN@/$alpn}"
  printf '%s\n' "${conf//@HAPROXY_SERVERS@/$servers}" >"$OUT/haproxy.cfg"
  local hb; hb="$(command -v haproxy || echo /usr/sbin/haproxy)"
  "$hb" -c -q -f "$OUT/haproxy.cfg" || die "haproxy config check failed (see $OUT/haproxy.cfg)"
  start haproxy taskset -c "$PROXY_CPUS" "$hb" -db -f "$OUT/haproxy.cfg"
  PROXY_PID[haproxy]=$LAST_PID
  wait_until 30 "haproxy (:$HAPROXY_PORT)" \
    curl -fsS --http2 --cacert "$OUT/ca.crt" "https://127.0.0.1:$HAPROXY_PORT$URL_PATH" \
    || die "haproxy did not serve $URL_PATH (see $OUT/haproxy.log)"
  # All three servers must have passed their /readyz checks before we measure.
  local deadline=$((SECONDS + 20)) seen
  while :; do
    seen="$(for _ in 1 2 3 4 5 6; do
      curl -sS -D - -o /dev/null --cacert "$OUT/ca.crt" "https://127.0.0.1:$HAPROXY_PORT$URL_PATH" \
        | tr -d '\r' | awk -F': ' 'tolower($1)=="x-backend"{print $2}'
    done | sort -u | wc -l)"
    ((seen == 3)) && break
    ((SECONDS < deadline)) || die "haproxy spread over only $seen backends"
    sleep 0.5
  done
}

write_apilb_conf() {
  local backends="" i sep
  for i in 0 1 2; do
    sep=","; ((i == 2)) && sep=""
    backends+="    { name = \"${B_NAMES[$i]}\", address = \"127.0.0.1:${B_PORTS[$i]}\" }$sep"$'\n'
  done
  backends="${backends%$'\n'}"
  local conf
  conf="$(render "$HERE/apilb.conf.in")"
  conf="${conf//@APILB_PORT@/$APILB_PORT}"
  conf="${conf//@APILB_ADMIN_PORT@/$APILB_ADMIN_PORT}"
  local http2=off; [[ $BACKEND_PROTO == h2 ]] && http2=auto
  conf="${conf//@APILB_HTTP2@/$http2}"
  printf '%s\n' "${conf//@APILB_BACKENDS@/$backends}" >"$OUT/apilb.conf"
}

start_apilb() {
  start apilb taskset -c "$PROXY_CPUS" "$APILB_BIN" run --config "$OUT/apilb.conf"
  PROXY_PID[apilb]=$LAST_PID
  wait_until 60 "apilb admin (:$APILB_ADMIN_PORT/readyz)" \
    curl -fsS "http://127.0.0.1:$APILB_ADMIN_PORT/readyz" \
    || die "apilb did not become ready (exited, or no 200 within 60 s; see $OUT/apilb.log)"
  wait_until 15 "apilb (:$APILB_PORT)" \
    curl -fsS --http2 --cacert "$OUT/ca.crt" "https://127.0.0.1:$APILB_PORT$URL_PATH" \
    || die "apilb did not serve $URL_PATH (see $OUT/apilb.log)"
}

# ---- load and results ---------------------------------------------------------
declare -A PROXY_PID=()

# CPU time (user+system, clock ticks) of a process and its threads so far; setsid, taskset and
# bin/apilb exec, so the started PID is the proxy itself.

access_counts() {  # b1=N b2=N b3=N from the backends' access logs since last truncate
  kill -USR1 "$NGINX_PID" 2>/dev/null || true   # reopen logs => flush buffers
  sleep 0.5
  local i out=""
  for i in 0 1 2; do
    out+="${B_NAMES[$i]}=$(grep -c "^$URL_PATH\$" "$OUT/access-${B_NAMES[$i]}.log" 2>/dev/null || true) "
  done
  echo "${out% }"
}

# run_load PROXY PORT TAG SECONDS WARMUP : h2load; sets RESULT="rps p50 p99 errors done spread"
# (not called in $(...): a subshell would not see the traps)
run_load() {
  local proxy=$1 port=$2 tag=$3 dur=$4 warm=$5
  local txt="$OUT/h2load-$tag.txt" reqlog="$OUT/h2load-$tag.log"
  local i; for i in 0 1 2; do : >"$OUT/access-${B_NAMES[$i]}.log"; done
  rm -f "$reqlog"
  local warmargs=(); ((warm > 0)) && warmargs=(--warm-up-time="$warm")
  local pid=${PROXY_PID[$proxy]:-} ticks0=0
  [[ -n $pid ]] && ticks0=$(cpu_ticks "$pid")
  # In the background + wait, so that a signal to this script acts at once
  # (bash runs traps only between foreground commands).
  taskset -c "$LOAD_CPUS" h2load -D "$dur" "${warmargs[@]}" -c "$CLIENTS" -m "$STREAMS" \
    -t "$LOAD_THREADS" -H "$AUTH_HEADER" --log-file="$reqlog" "https://127.0.0.1:$port$URL_PATH" >"$txt" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || { tail -20 "$txt" >&2; die "h2load against $proxy failed"; }
  LOAD_PID=""
  # proxy CPU per request, warm-up included (h2load counts its requests too)
  local cpu_ticks_used=0
  [[ -n $pid ]] && cpu_ticks_used=$(( $(cpu_ticks "$pid") - ticks0 ))
  local spread; spread="$(access_counts)"
  grep -qi 'application protocol: h2' "$txt" || die "h2load did not negotiate h2 with $proxy (see $txt)"
  RESULT="$(awk -v spread="$spread" -v reqlog="$reqlog" -v ticks="$cpu_ticks_used" -v hz="$(getconf CLK_TCK)" \
      -v secs="$((dur + warm))" '
    /^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { rps = $(i-1); sub(/,$/, "", rps) } }
    /^requests:/ { for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^done/) done = $i
        if ($(i+1) ~ /^errored/) errd = $i
        if ($(i+1) ~ /^timeout/) tmo = $i } }
    /^status codes:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^[345]xx/) bad += $i }
    END {
      # per-request log: start time, status, duration in microseconds
      cmd = "awk -F\"\\t\" \x27{print $3}\x27 \"" reqlog "\" | sort -n"
      n = 0; while ((cmd | getline d) > 0) lat[++n] = d; close(cmd)
      if (n == 0) { p50 = "nan"; p99 = "nan" }
      else {
        i50 = int(n * 0.50 + 0.999999); if (i50 < 1) i50 = 1
        i99 = int(n * 0.99 + 0.999999); if (i99 < 1) i99 = 1
        p50 = sprintf("%.3f", lat[i50] / 1000); p99 = sprintf("%.3f", lat[i99] / 1000)
      }
      gsub(/ /, ",", spread)
      # proxy CPU microseconds per request over the whole run (warm-up at about the same rate)
      cpu = (ticks > 0 && rps > 0) ? sprintf("%.1f", ticks / hz * 1e6 / (rps * secs)) : "nan"
      printf "%s %s %s %d %d %s %s\n", rps, p50, p99, bad + errd + tmo, done, spread, cpu
    }' "$txt")"
}

# run_latency NAME PORT : a fixed LAT_RPS over LAT_CLIENTS connections (one stream each) to NAME
# (a proxy, or "direct": backend b1 itself); sets LAT="mean_ms p99_ms errors requests"
run_latency() {
  local name=$1 port=$2
  local txt="$OUT/h2load-lat-$name.txt" reqlog="$OUT/h2load-lat-$name.log"
  rm -f "$reqlog"
  taskset -c "$LOAD_CPUS" h2load -D "$LAT_SECONDS" --warm-up-time=2 -c "$LAT_CLIENTS" -m 1 \
    --rps="$((LAT_RPS / LAT_CLIENTS))" -H "$AUTH_HEADER" --log-file="$reqlog" \
    "https://127.0.0.1:$port$URL_PATH" >"$txt" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || { tail -20 "$txt" >&2; die "h2load (fixed rate) against $name failed"; }
  LOAD_PID=""
  local errors
  errors="$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^(errored|timeout)/) e += $i } END { print e + 0 }' "$txt")"
  LAT="$(awk -F'\t' '{ print $3 }' "$reqlog" | sort -n | awk -v errors="$errors" '
    { lat[++n] = $1; sum += $1 }
    END {
      if (n == 0) { print "nan nan " errors " 0"; exit }
      i99 = int(n * 0.99 + 0.999999)
      printf "%.3f %.3f %d %d\n", sum / n / 1000, lat[i99] / 1000, errors, n
    }')"
}

# median_of PROXY FIELD: the median of a field over the rounds' rows ("round proxy rps p50 p99
# errors done spread cpu", FIELD counted from 1)
median_of() {
  local line
  for line in "${rows[@]}"; do echo "$line"; done | awk -v p="$1" -v f="$2" '$2 == p { print $f }' \
    | sort -g | awk '{ v[++n] = $1 } END { if (n == 0) print "nan"; else if (n % 2) print v[(n + 1) / 2];
      else printf "%.3f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# paired_ratios : apilb/HAProxy per round, each round's apilb run against the HAProxy run beside it
# (they ran back to back, order alternating), then the median over the rounds, for req/s, p99 and
# CPU per request: "rps p99 cpu rps-by-round". On a shared host whose speed drifts over minutes,
# pairs neighbours in time where the ratio of the two medians can pair a fast minute with a slow one.
paired_ratios() {
  local line
  for line in "${rows[@]}"; do echo "$line"; done | awk '
    { v[$1 " " $2 " rps"] = $3; v[$1 " " $2 " p99"] = $5; v[$1 " " $2 " cpu"] = $9; if ($1 > last) last = $1 }
    function median(k,   i, j, n, a, t) {
      n = 0
      for (i = 1; i <= last; i++) {
        if (!((i " apilb " k) in v) || !((i " haproxy " k) in v) || v[i " haproxy " k] == 0) continue
        a[++n] = v[i " apilb " k] / v[i " haproxy " k]
      }
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      if (n == 0) return "nan"
      return sprintf("%.2f", n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    END {
      by = ""
      for (i = 1; i <= last; i++) if ((i " apilb rps") in v && v[i " haproxy rps"] > 0)
        by = by (by == "" ? "" : ",") sprintf("%.2f", v[i " apilb rps"] / v[i " haproxy rps"])
      print median("rps"), median("p99"), median("cpu"), by
    }'
}

# ---- main ---------------------------------------------------------------------
main() {
  [[ $EUID -eq 0 ]] || log "not root: apt installs will fail if tools are missing"
  ensure_tools
  mkdir -p "$OUT"
  rm -f "$OUT"/*.log "$OUT"/*.txt "$OUT/result.md"
  make_bench_certs
  start_backends
  start_haproxy
  write_apilb_conf

  local proxies=(haproxy)
  if [[ -x $APILB_BIN ]]; then
    start_apilb
    proxies+=(apilb)
  else
    log "**************************************************************"
    log "apilb launcher not found at $APILB_BIN (build apilb first, or"
    log "set APILB_BIN); running the HAProxy half only. apilb config"
    log "would be: $OUT/apilb.conf"
    log "**************************************************************"
  fi
  declare -A PORT=([haproxy]=$HAPROXY_PORT [apilb]=$APILB_PORT)

  # The bench shares 2 cores with everything else on the box: say so if busy.
  LOADAVG_START="$(cut -d' ' -f1 /proc/loadavg)"
  if awk -v l="$LOADAVG_START" 'BEGIN{exit !(l > 0.5)}'; then
    log "WARNING: 1-min load average is $LOADAVG_START before the bench; figures will be noisy"
  fi
  log "load: h2load -D $DURATION --warm-up-time $WARMUP -c $CLIENTS -m $STREAMS -t $LOAD_THREADS (h2, TLS)"
  log "cpus: proxy on [$PROXY_CPUS] ($PROXY_THREADS threads for HAProxy); h2load + nginx on [$LOAD_CPUS]"
  if ((PRIME > 0)); then
    local p; for p in "${proxies[@]}"; do
      log "priming $p for ${PRIME}s (not measured)"
      run_load "$p" "${PORT[$p]}" "prime-$p" "$PRIME" 0
    done
  fi

  local rows=() r order p res
  for ((r = 1; r <= ROUNDS; r++)); do
    order=("${proxies[@]}")
    if ((r % 2 == 0 && ${#proxies[@]} == 2)); then order=("${proxies[1]}" "${proxies[0]}"); fi
    for p in "${order[@]}"; do
      log "round $r/$ROUNDS: $p (${DURATION}s + ${WARMUP}s warm-up), loadavg $(cut -d' ' -f1 /proc/loadavg)"
      run_load "$p" "${PORT[$p]}" "r$r-$p" "$DURATION" "$WARMUP"
      res=$RESULT
      log "  $p: req/s p50 p99 errors done spread cpu-us/req = $res"
      rows+=("$r $p $res")
    done
  done

  # ---- medians over the rounds (the issue's measure), the best round kept for reference ----
  declare -A MED=()
  # a failed or non-2xx request makes the run invalid: a proxy answering errors fast is not faster
  local failed=""
  for p in "${proxies[@]}"; do
    local errs; errs="$(for line in "${rows[@]}"; do echo "$line"; done | awk -v p="$p" '$2 == p { e += $6 } END { print e + 0 }')"
    MED[$p]="$(median_of "$p" 3) $(median_of "$p" 4) $(median_of "$p" 5) $errs $(median_of "$p" 9)"
    if ((errs > 0)); then failed+="${failed:+, }$p $errs"; fi
  done

  # ---- added latency at a fixed, moderate rate: direct to a backend, then each proxy ----
  declare -A LATS=()
  local lat_targets=()
  if ((LAT_RPS > 0)); then
    lat_targets=(direct "${proxies[@]}")
    declare -A LPORT=([direct]=${B_PORTS[0]} [haproxy]=$HAPROXY_PORT [apilb]=$APILB_PORT)
    for p in "${lat_targets[@]}"; do
      log "latency: $p at $LAT_RPS req/s over $LAT_CLIENTS connections for ${LAT_SECONDS}s"
      run_latency "$p" "${LPORT[$p]}"
      LATS[$p]=$LAT
      log "  $p: mean(ms) p99(ms) errors requests = $LAT"
    done
  fi

  # ---- report ----
  local md="$OUT/result.md" line
  {
    echo "| proxy | req/s | p50 (ms) | p99 (ms) | errors | CPU µs/req |"
    echo "|---|---:|---:|---:|---:|---:|"
    for p in "${proxies[@]}"; do
      read -r rps p50 p99 err cpu <<<"${MED[$p]}"
      printf '| %s | %.0f | %s | %s | %s | %s |\n' "$p" "$rps" "$p50" "$p99" "$err" "$cpu"
    done
  } >"$md.table"

  echo
  printf '%-8s %10s %9s %9s %7s %11s   (medians of %d rounds)\n' proxy req/s 'p50(ms)' 'p99(ms)' errors 'cpu(us/req)' "$ROUNDS"
  for p in "${proxies[@]}"; do
    read -r rps p50 p99 err cpu <<<"${MED[$p]}"
    printf '%-8s %10.0f %9s %9s %7s %11s\n' "$p" "$rps" "$p50" "$p99" "$err" "$cpu"
  done
  local ratio_line=""
  if [[ -n ${MED[apilb]:-} ]]; then
    read -r h_rps _ h_p99 _ h_cpu <<<"${MED[haproxy]}"
    read -r a_rps _ a_p99 _ a_cpu <<<"${MED[apilb]}"
    ratio_line="$(awk -v ar="$a_rps" -v hr="$h_rps" -v ap="$a_p99" -v hp="$h_p99" -v ac="$a_cpu" -v hc="$h_cpu" 'BEGIN {
      printf "ratio apilb/haproxy (medians): req/s %.2fx, p99 %.2fx, CPU per request %.2fx (goal: req/s >= 1.05x, p99 <= 1.0x, CPU <= 1.0x)",
        ar / hr, ap / hp, ac / hc }')"
    local pr_rps pr_p99 pr_cpu pr_by
    read -r pr_rps pr_p99 pr_cpu pr_by <<<"$(paired_ratios)"
    ratio_line+=$'\n'"paired, each round's apilb against the HAProxy run beside it (median of $ROUNDS rounds): req/s ${pr_rps}x, p99 ${pr_p99}x, CPU per request ${pr_cpu}x; req/s by round: $pr_by"
  else
    ratio_line="ratio apilb/haproxy: n/a (apilb not run)"
  fi
  if [[ -n $failed ]]; then
    ratio_line="INVALID RUN, requests failed or not 2xx ($failed; h2load's output in $OUT): $ratio_line"
  fi
  echo "$ratio_line"
  local lat_lines=()
  if ((LAT_RPS > 0)); then
    read -r d_mean d_p99 _ <<<"${LATS[direct]}"
    for p in "${proxies[@]}"; do
      read -r mean p99 err n <<<"${LATS[$p]}"
      lat_lines+=("$(awk -v p="$p" -v m="$mean" -v q="$p99" -v dm="$d_mean" -v dq="$d_p99" -v e="$err" -v n="$n" 'BEGIN {
        printf "added latency at '"$LAT_RPS"' req/s, %s: mean %+.3f ms (%.3f vs direct %.3f), p99 %+.3f ms (%.3f vs %.3f), %d errors in %d requests",
          p, m - dm, m, dm, q - dq, q, dq, e, n }')")
    done
    printf '%s\n' "${lat_lines[@]}"
  fi
  echo

  {
    echo "### apilb vs HAProxy — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
    echo "HAProxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), $(h2load --version | head -1)."
    echo "Load: \`h2load -D $DURATION --warm-up-time $WARMUP -c $CLIENTS -m $STREAMS -t $LOAD_THREADS -H '$AUTH_HEADER'\` (h2 over TLS), GET $URL_PATH (${BODY_LEN:-~300} B JSON)."
    echo "Backends: $([[ $BACKEND_PROTO == h2 ]] && echo "multiplexed HTTP/2 (apilb backend-tls.http2 = auto, HAProxy alpn h2)" || echo "HTTP/1.1 (apilb backend-tls.http2 = off, HAProxy without ALPN)")."
    echo "1-min load average before the bench: $LOADAVG_START, after: $(cut -d' ' -f1 /proc/loadavg) (other work on the box skews figures)."
    echo "CPUs: proxy under test on [$PROXY_CPUS] ($PROXY_THREADS HAProxy threads); h2load and nginx on [$LOAD_CPUS]. Medians of $ROUNDS rounds per proxy, order alternating."
    echo
    cat "$md.table"
    echo
    echo "${ratio_line//$'\n'/$'\n\n'}"  # one paragraph per line in Markdown
    echo
    if ((LAT_RPS > 0)); then
      echo "Added latency: \`h2load -c $LAT_CLIENTS -m 1 --rps $((LAT_RPS / LAT_CLIENTS)) -D $LAT_SECONDS\` to backend b1 directly and through each proxy:"
      echo
      for line in "${lat_lines[@]}"; do echo "- $line"; done
      echo
    fi
    echo "All rounds (round proxy req/s p50 p99 errors done spread cpu-us/req):"
    echo
    echo '```'
    for line in "${rows[@]}"; do echo "$line"; done
    echo '```'
  } >"$md"
  rm -f "$md.table"
  log "markdown written to $md"
  if [[ -n $failed ]]; then
    log "INVALID RUN: requests failed or were not 2xx ($failed); the figures compare failures"
    exit 3
  fi
}

main "$@"
