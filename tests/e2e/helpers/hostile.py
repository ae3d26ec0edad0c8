#!/usr/bin/env python3
"""hostile.py: slow and idle HTTP clients held open against a loopback server, bounded.

  hostile.py HOST PORT --idle N --head N --body N --seconds S [--sources K] [--gap MS]

--idle: connections that send one complete request, read the answer and then sit
        idle (keep-alive), reconnecting whenever the server closes them;
--head: connections that send a request head one byte every --gap ms (default 1000)
        and never finish it;
--body: connections that send a complete head announcing a 4000-byte body, then
        the body one byte every --gap ms.
Every kind reconnects when the server closes its connection, so the numbers stay
held for the whole run. The client addresses are spread over 127.0.0.2 ..
127.0.0.(1+K) (--sources, default 1: all from 127.0.0.2). The script stops by
itself after --seconds and prints one line of counts (JSON) on stdout:
opened, closed_by_server, refused (connects that failed), answered (responses
read), statuses seen, and the peak of connections held at once.
"""
import argparse
import json
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--idle", type=int, default=0)
    ap.add_argument("--head", type=int, default=0)
    ap.add_argument("--body", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--gap", type=int, default=1000)
    a = ap.parse_args()
    if a.idle + a.head + a.body > 5000 or a.seconds > 120 or a.sources > 250:
        raise SystemExit("hostile.py: bounded to 5000 connections, 120 s, 250 sources")
    if a.host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("hostile.py: loopback only")

    sel = selectors.DefaultSelector()
    stats = {"opened": 0, "closed_by_server": 0, "refused": 0, "answered": 0,
             "statuses": {}, "peak_open": 0}
    conns = {}  # sock -> state
    head = (b"POST /refer HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/x-www-form-urlencoded\r\nX-Pad: " + b"a" * 200 + b"\r\n")
    idle_req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    body_head = (b"POST /refer HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 b"application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n")
    seq = [0]
    pending = []  # (when, kind): reconnects due

    def connect(kind):
        src = "127.0.0.%d" % (2 + seq[0] % a.sources)
        seq[0] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            s.connect_ex(("127.0.0.1" if a.host == "localhost" else a.host, a.port))
        except OSError:
            stats["refused"] += 1
            s.close()
            pending.append((time.monotonic() + 0.05, kind))
            return False
        st = {"kind": kind, "sent": 0, "next": time.monotonic(), "connected": False,
              "rbuf": b""}
        conns[s] = st
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
        stats["opened"] += 1
        return True

    def drop(s, by_server):
        st = conns.pop(s, None)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
        if st is not None:
            if by_server and st["connected"]:
                stats["closed_by_server"] += 1
            elif not st["connected"]:
                stats["refused"] += 1
            # reconnect soon, not at once: a refusing server is not spun against
            pending.append((time.monotonic() + 0.05, st["kind"]))

    def note_status(data):
        for line in data.split(b"\r\n"):
            if line.startswith(b"HTTP/1."):
                code = line.split(b" ")[1].decode(errors="replace")
                stats["statuses"][code] = stats["statuses"].get(code, 0) + 1
                stats["answered"] += 1

    for kind, n in (("idle", a.idle), ("head", a.head), ("body", a.body)):
        for _ in range(n):
            connect(kind)

    end = time.monotonic() + a.seconds
    gap = a.gap / 1000.0
    while time.monotonic() < end:
        stats["peak_open"] = max(stats["peak_open"], len(conns))
        for key, ev in sel.select(timeout=0.05):
            s, st = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE and not st["connected"]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    drop(s, False)
                    continue
                st["connected"] = True
                sel.modify(s, selectors.EVENT_READ, st)
                if st["kind"] == "idle":
                    s.send(idle_req)
                elif st["kind"] == "body":
                    s.send(body_head)
                continue
            if ev & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    drop(s, True)
                    continue
                note_status(data)
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            connect(pending.pop(0)[1])
        for s, st in list(conns.items()):
            if not st["connected"] or st["kind"] == "idle" or now < st["next"]:
                continue
            st["next"] = now + gap
            src = head if st["kind"] == "head" else b"a"
            if st["kind"] == "head" and st["sent"] >= len(src):
                src = b"X-More: 1\r\n"  # a head that never ends
                st["sent"] = 0
            try:
                if st["kind"] == "head":
                    s.send(src[st["sent"]:st["sent"] + 1])
                else:
                    s.send(b"a")
                st["sent"] += 1
            except OSError:
                drop(s, True)
    for s in list(conns):
        sel.unregister(s)
        s.close()
    print(json.dumps(stats, sort_keys=True))


if __name__ == "__main__":
    main()
