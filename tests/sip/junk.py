#!/usr/bin/env python3
# junk.py HOST PORT: hostile input for the emulator's SIP port, bounded in count and time.
#   junk.py H P junk         garbage, truncated messages, wrong Content-Length, an oversize
#                            datagram, requests for dialogs that do not exist (UDP and TCP);
#                            prints "CODE N" for the answers it got, then "sent N"
#   junk.py H P flood N NUM  N INVITEs (distinct Call-IDs) to sip:NUM@H over UDP, 50 at a
#                            time, reading answers until 10 s pass without one; prints
#                            "answered N" then "CODE N": the INVITEs by their final answer
import socket, sys, time, random, select

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(1)


def msg(method, callid, cseq=1, body="", extra="", clen=None, uri=None, proto="UDP", lport=0,
        contact=True):
    uri = uri or "sip:+14155559999@%s:%d" % (host, port)
    clen = len(body) if clen is None else clen
    return ("%s %s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s%d\r\n"
            "From: <sip:junk@127.0.0.1>;tag=j%s\r\nTo: <sip:x@%s>%s\r\nCall-ID: %s\r\n"
            "CSeq: %d %s\r\nMax-Forwards: 70\r\n%s%sContent-Length: %d\r\n\r\n%s" %
            (method, uri, proto, lport, callid, cseq, callid, host,
             ";tag=nope" if method != "INVITE" else "", callid, cseq, method,
             "Contact: <sip:junk@127.0.0.1:%d>\r\n" % lport if contact else "", extra,
             clen, body)).encode()


codes = {}


def count(data):
    for part in data.split(b"SIP/2.0 ")[1:]:
        c = part[:3]
        if c.isdigit():
            codes[c.decode()] = codes.get(c.decode(), 0) + 1


def drain(s, secs):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        try:
            data = s.recv(65536)
        except OSError:
            break
        if not data:
            break
        count(data)


def junk():
    sent = 0
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    lp = u.getsockname()[1]
    cases = [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 1400))) for _ in range(200)]
    cases += [b"\x00" * 100, b"\r\n" * 50, b"INVITE", b"INVITE sip:x SIP/2.0\r\n",
              b"SIP/2.0 200 OK\r\n\r\n", b"NOT A SIP MESSAGE\r\n\r\n"]
    good = msg("INVITE", "trunc", body="v=0\r\n", lport=lp)
    cases += [good[:n] for n in range(1, len(good), 17)]           # truncated
    cases += [msg("INVITE", "clen-big", body="v=0\r\n", clen=5000, lport=lp),
              msg("INVITE", "clen-small", body="v=0\r\no=x\r\n", clen=2, lport=lp),
              msg("INVITE", "clen-neg", body="", clen=-1, lport=lp),
              msg("INVITE", "oversize", body="a" * 9000, lport=lp),   # over libre's 8 KiB read
              msg("INVITE", "huge-hdr", extra="X-Big: " + "b" * 6000 + "\r\n", lport=lp),
              msg("INVITE", "no-contact", lport=lp, contact=False)]
    for m in ("BYE", "REFER", "NOTIFY", "CANCEL", "ACK", "INFO", "SUBSCRIBE", "OPTIONS"):
        cases.append(msg(m, "unknown-" + m, extra="Refer-To: <sip:x@y>\r\nEvent: refer\r\n", lport=lp))
    # paced: a burst past the socket's receive buffer would only be dropped by the kernel
    for i, c in enumerate(cases):
        u.sendto(c, (host, port))
        sent += 1
        if i % 10 == 9:
            time.sleep(0.005)
    drain(u, 3)
    # TCP: the same junk on fresh connections, a frame over 64 KiB, a half message
    tcp = [c for c in cases if len(c) < 9000] + [msg("INVITE", "t-big", body="z" * 70000, proto="TCP")]
    for c in tcp[:60] + tcp[-8:]:
        t = socket.create_connection((host, port), timeout=3)
        try:
            t.sendall(c)
            sent += 1
            t.shutdown(socket.SHUT_WR)
            drain(t, 0.2)
        except OSError:
            pass
        finally:
            t.close()
    for _ in range(100):       # connections that come and go
        t = socket.create_connection((host, port), timeout=3)
        t.close()
    for k, v in sorted(codes.items()):
        print(k, v)
    print("sent", sent)


def flood(n, num):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    u.bind(("127.0.0.1", 0))
    lp = u.getsockname()[1]
    uri = "sip:%s@%s:%d" % (num, host, port)
    final = {}  # Call-ID -> its final answer (each INVITE counted once)

    def take(secs):
        end = time.time() + secs
        while True:
            r, _, _ = select.select([u], [], [], max(0, end - time.time()))
            if not r:
                return
            data = u.recv(65536)
            code = data[8:11].decode("ascii", "replace")
            cid = data.split(b"Call-ID: ", 1)[-1].split(b"\r\n", 1)[0]
            if code.isdigit() and int(code) >= 200:
                final.setdefault(cid, code)

    for i in range(n):
        u.sendto(msg("INVITE", "flood-%d" % i, uri=uri, lport=lp), (host, port))
        if i % 50 == 49:  # as fast as the kernel keeps it: 50 at a time
            take(0.005)
    take(10)
    print("answered", len(final))
    for code in sorted(set(final.values())):
        print(code, sum(1 for c in final.values() if c == code))


if mode == "junk":
    junk()
else:
    flood(int(sys.argv[4]), sys.argv[5])
