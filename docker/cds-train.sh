#!/usr/bin/env bash
# Build-time class-data-sharing training for the container image (docker/Dockerfile, stage "cds"):
# throwaway certificates, two simulated apiservers (`apilb sim`, a JVM of its own, so none of its
# classes enter the archive), and `bin/apilb cds-train`, which starts apilb with the profile's
# options on ephemeral ports, stops it once a backend is ready and writes $APILB_CDS_ARCHIVE.
# Exits non-zero when no archive was written, so the image build fails instead of shipping none.
set -euo pipefail
: "${APILB_JAR:?}" "${APILB_CDS_ARCHIVE:?}"
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
launcher="${APILB_LAUNCHER:-$here/bin/apilb}"
work="$(mktemp -d)"
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# a CA and one serving certificate for 127.0.0.1, valid for a day
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=apilb-cds-training-ca" \
  -keyout "$work/ca.key" -out "$work/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=apilb-cds-training" \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$work/tls.ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 1 -extfile "$work/tls.ext" -out "$work/tls.crt" 2>/dev/null

ports=(16441 16442)
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$APILB_JAR" sim \
  --backend "t1=${ports[0]}" --backend "t2=${ports[1]}" --cert "$work/tls.crt" --key "$work/tls.key" \
  --control-port 16449 >"$work/sim.log" 2>&1 &
sim_pid=$!
# no curl in the image: bash's /dev/tcp
for _ in $(seq 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/${ports[1]}") 2>/dev/null; then break; fi
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
  sleep 0.2
done

cat >"$work/train.conf" <<EOF
apilb {
  listener { address = "127.0.0.1", port = 7443, tls { cert-file = "tls.crt", key-file = "tls.key" } }
  backends = [
    { name = "t1", address = "127.0.0.1:${ports[0]}" },
    { name = "t2", address = "127.0.0.1:${ports[1]}" }
  ]
  backend-tls.ca-file = "ca.crt"
  admin { address = "127.0.0.1", port = 9445 }
}
EOF
if ! "$launcher" cds-train --config "$work/train.conf"; then
  cat "$APILB_CDS_ARCHIVE.log" >&2 || true
  exit 1
fi
rm -f "$APILB_CDS_ARCHIVE.log"
ls -l "$APILB_CDS_ARCHIVE"
