#!/usr/bin/env bash
# Where apilb's CPU goes under bench/run.sh's load: one round with async-profiler (cpu mode:
# Java, native and, where perf_event_paranoid allows, kernel frames; no safepoint bias, unlike
# JFR's line attributions, which sent earlier sessions after costs that were not there), then a
# summary of the event loops' samples (bench/tools/profile_summary.py). Output in bench/out/profile/.
#
#   bash bench/profile.sh                     # summary on stdout, stacks in bench/out/profile/
#   PROFILE_PARTS="HpackDecoder.decode ..."   # the frames whose inclusive share to print
#
# async-profiler is a tool here, not a dependency: its Maven Central jar (which carries the
# Linux library) is taken from the local repository, or fetched once with Maven.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/out/profile" # its own folder: run.sh clears out/*.log and out/*.txt as it starts
mkdir -p "$out"
version="${ASYNC_PROFILER_VERSION:-4.1}"
lib="${ASYNC_PROFILER_LIB:-}"
if [ -z "$lib" ]; then
  arch="$(uname -m)"; case "$arch" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
  jar="$HOME/.m2/repository/tools/profiler/async-profiler/$version/async-profiler-$version.jar"
  if [ ! -f "$jar" ]; then
    mvn -q -B dependency:get -Dartifact="tools.profiler:async-profiler:$version" >&2 \
      || { echo "profile: no async-profiler $version in the Maven repository and none fetched" >&2; exit 1; }
  fi
  (cd "$out" && unzip -o -q "$jar" "linux-$arch/libasyncProfiler.so")
  lib="$out/linux-$arch/libasyncProfiler.so"
fi
stacks="$out/apilb-cpu.collapsed"
rm -f "$stacks"
# the server profile's options, as the launcher gives them (not a user's APILB_JAVA_OPTS), plus the agent
opts="$(env -u APILB_JAVA_OPTS APILB_JVM_PROFILE=server "$here/../bin/apilb" java-options)"
opts+=" -agentpath:$lib=start,event=cpu,interval=${PROFILE_INTERVAL:-1ms},file=$stacks,collapsed"
# APILB_CDS=off: a JVM with a native agent cannot dump a class archive, and a training run would
# write its own stacks to the same file
BENCH_LATENCY_RPS=0 BENCH_ROUNDS=1 BENCH_DURATION="${BENCH_DURATION:-20}" BENCH_PRIME="${BENCH_PRIME:-5}" \
  APILB_CDS=off APILB_JAVA_OPTS="$opts" bash "$here/run.sh" >"$out/profile-bench.log" 2>&1 \
  || { tail -5 "$out/profile-bench.log" >&2; echo "profile: bench/run.sh failed (see $out/profile-bench.log)" >&2; exit 1; }
grep -E "ratio|INVALID" "$out/profile-bench.log" | sed 's/^/(under the profiler) /' || true
# the profiler writes the stacks as the JVM exits: none means apilb was killed before it could
[ -s "$stacks" ] || { echo "profile: no stacks in $stacks (apilb did not exit cleanly?)" >&2; exit 1; }
# shellcheck disable=SC2086
python3 "$here/tools/profile_summary.py" "$stacks" ${PROFILE_PARTS:-}
