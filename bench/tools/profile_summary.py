#!/usr/bin/env python3
"""Summarise async-profiler's collapsed stacks of apilb's event loops.

Usage: profile_summary.py STACKS [FRAME ...]

Prints the split of the event loops' samples into Java (JIT-compiled or interpreted code),
kernel and native code (BoringSSL, libc), the leaf frames that cost most, and the inclusive share
of each FRAME given (a substring of a frame, e.g. HpackDecoder.decode), or of a default list of the
request path's parts. Only stacks under Netty's event loop count: start-up, the JIT and GC threads
and the control thread are left out.
"""
import collections
import sys

DEFAULT_PARTS = [
    "SslHandler.unwrap", "SslEngineType$1.unwrap", "SslHandler.wrap", "SslHandler.forceFlush",
    "DefaultHttp2FrameReader.readHeadersFrame", "DefaultHttp2FrameReader.readDataFrame",
    "HpackDecoder.decode", "HpackEncoder.encodeHeaders", "ProxyExchange.onRequestHead", "Admission.admit",
    "Http2StreamAttempt.openStream", "AttemptRelay.onResponseHead", "AttemptRelay.onResponseContent",
    "Completion.emit", "FrameCoalescer.flush", "SingleThreadEventExecutor.runAllTasks",
    "EpollIoHandler.epollWait",
]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    parts = argv[2:] or DEFAULT_PARTS
    total = 0
    kinds = collections.Counter()
    leaves = collections.Counter()
    inclusive = collections.Counter()
    with open(argv[1], encoding="utf-8", errors="replace") as stacks:
        for line in stacks:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            if not any("SingleThreadIoEventLoop.run" in f for f in frames):
                continue
            n = int(count)
            total += n
            leaf = frames[-1]
            kinds[kind(leaf)] += n
            leaves[leaf] += n
            for part in parts:
                if any(part in f for f in frames):
                    inclusive[part] += n
    if total == 0:
        print("no event-loop samples in", argv[1])
        return 1
    print(f"event-loop samples: {total}")
    for k, n in kinds.most_common():
        print(f"  {pct(n, total)}  {k}")
    print("leaf frames (self):")
    for leaf, n in leaves.most_common(15):
        print(f"  {pct(n, total)}  {leaf[:120]}")
    print("parts (inclusive):")
    for part in parts:
        print(f"  {pct(inclusive[part], total)}  {part}")
    return 0


def kind(leaf):
    if leaf.endswith("_[k]"):
        return "kernel"
    if "/" in leaf or leaf in ("itable stub", "vtable stub", "Interpreter") or leaf.startswith("I2C/C2I"):
        return "Java"
    return "native (BoringSSL, libc, JVM)"


def pct(n, total):
    return f"{100.0 * n / total:5.1f} %"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
