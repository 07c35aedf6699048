# Shared by the bench scripts (run.sh, failover.sh, footprint.sh, floor.sh, watches.sh, abuse.sh;
# sourced, not run): logging, processes started in
# their own sessions and all stopped on exit, readiness polling, throwaway certificates and
# template rendering. Callers set OUT, LOG_TAG (the log prefix) and FILE_PREFIX (prepended to
# every file this writes in $OUT) before sourcing.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# install_packages PKG... : installs the Debian packages given (none: nothing to do); puts
# /usr/sbin on PATH either way
install_packages() {
  if (($#)); then
    log "installing: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    # Debian starts the packaged services on install; the benchmarks run their own.
    systemctl stop haproxy nginx >/dev/null 2>&1 || true
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
}

# ---- processes and cleanup -------------------------------------------------
PIDS=()
LOAD_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  [[ -n $LOAD_PID ]] && kill -TERM "$LOAD_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do
    # Each service runs in its own session (setsid): stop the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD... : runs CMD in its own session, logs in $OUT/${FILE_PREFIX}NAME.log; sets
# LAST_PID (not a subshell, so PIDS keeps it for cleanup). setsid and taskset exec, so LAST_PID is
# CMD's own process.
start() {
  local name=$1; shift
  setsid "$@" >"$OUT/${FILE_PREFIX}$name.log" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# stop_pid PID [SECONDS] : stops one process started by `start` (its session), waits up to SECONDS
# (10), then KILL
stop_pid() {
  local pid=$1 limit=${2:-10}
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((limit * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# rss_kib PID : the process's resident set (VmRSS, KiB), 0 once it is gone
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# cpu_ticks PID : the process's user + system CPU time so far, in clock ticks (0 once it is gone)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# mib KIB : KiB to whole MiB
mib() { awk -v k="$1" 'BEGIN{printf "%.0f", k / 1024}'; }

# wait_until TIMEOUT_S DESC CMD... : polls CMD every 0.2 s; gives up early if the process last
# started (LAST_PID) has exited
wait_until() {
  local timeout=$1 desc=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    kill -0 "$LAST_PID" 2>/dev/null || { log "$desc: process exited"; return 1; }
    sleep 0.2
  done
  log "$desc ready"
}

# make_certs : a throwaway CA and two server certificates (backend, front) for 127.0.0.1 and
# localhost: $OUT/${FILE_PREFIX}{ca,backend,front}.{crt,key}
make_certs() {
  local p="$OUT/$FILE_PREFIX" cn="apilb-${LOG_TAG}"
  log "generating a throwaway CA and certificates in $OUT"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn-ca" \
    -keyout "${p}ca.key" -out "${p}ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  local n
  for n in backend front; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn-$n" -keyout "${p}$n.key" -out "${p}$n.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,DNS:localhost" >"${p}$n.ext"
    openssl x509 -req -in "${p}$n.csr" -CA "${p}ca.crt" -CAkey "${p}ca.key" -CAcreateserial \
      -days 2 -sha256 -extfile "${p}$n.ext" -out "${p}$n.crt" 2>/dev/null
  done
  chmod 600 "${p}"*.key
}

# render TEMPLATE : prints the template with @OUT@ replaced (other keys by the caller)
render() { local t; t="$(<"$1")"; printf '%s\n' "${t//@OUT@/$OUT}"; }
