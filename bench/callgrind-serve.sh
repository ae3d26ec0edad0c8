#!/usr/bin/env bash
# callgrind-serve.sh: instructions per request of the whole server (libmicrohttpd
# included, kernel excluded) under callgrind: `handoff serve` on the bench's /refer
# request and the ceiling (bench/ceiling.c) on the same request. Counters are
# zeroed after a warm-up, the server gets N requests over 4 keep-alive
# connections, then the counts are dumped. Slow (valgrind) but stable. handoff_console
# is the same server with the web console on its own listener (--console); handoff_pg
# the same server with its store copied into a throwaway PostgreSQL cluster.
# Env: HANDOFF (binary), N (requests, default 4000).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
HANDOFF=${HANDOFF:-$ROOT/bin/handoff}
N=${N:-4000}
T=$(mktemp -d)
PIDS=()
PGC=""
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "$PGC" ] && pg_cluster_stop "$PGC"; rm -rf "$T"' EXIT
mkdir -p build/bench
cc -O2 -o build/bench/ceiling bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd) || exit 1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_up() { for _ in $(seq 1 300); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done; return 1; }
export TWILIO_AUTH_TOKEN="bench-token-$RANDOM"
export HANDOFF_DB="$T/bench.db"
"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Call: $call_sid' >/dev/null || exit 1
"$HANDOFF" promote --message bench >/dev/null || exit 1
PARAMS=(AccountSid=AC0123456789abcdef0123456789abcdef ApiVersion=2010-04-01
	CallSid=CA0123456789abcdef0123456789abcdef CallStatus=in-progress Direction=inbound
	From=+14155550100 To=+18005551212 'ReferTransferTarget=<sip:billing@agent.example.com?X-Reason=upsell>')
body=""
for kv in "${PARAMS[@]}"; do
	body+="${body:+&}${kv%%=*}=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "${kv#*=}")"
done
# N requests over 4 connections (wrk cannot count; a small python client can)
load() { # PORT SIG COUNT
	python3 - "$1" "$2" "$3" "$body" <<'PY'
import socket, sys
port, sig, n, body = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
req = ("POST /refer HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
       "X-Twilio-Signature: %s\r\nContent-Length: %d\r\n\r\n%s" % (port, sig, len(body), body)).encode()
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
ok = 0
for i in range(n):
    c = conns[i % 4]
    c.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        data += c.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    clen = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(rest) < clen:
        rest += c.recv(65536)
    ok += head.startswith(b"HTTP/1.1 200")
print(ok)
PY
}
measure() { # NAME PORT CMD...
	local name=$1 port=$2
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.$name" "$@" 2>"$T/$name.vg" &
	local pid=$!
	PIDS+=("$pid")
	wait_up "http://127.0.0.1:$port/healthz" || { echo "$name did not start"; return 1; }
	local sig
	sig=$("$HANDOFF" sig sign --url "http://127.0.0.1:$port/refer" "${PARAMS[@]}")
	load "$port" "$sig" 200 >/dev/null
	callgrind_control -z "$pid" >/dev/null 2>&1
	local ok
	ok=$(load "$port" "$sig" "$N")
	callgrind_control -d "$pid" >/dev/null 2>&1
	local ir
	ir=$(awk '/^summary:/ {print $2}' "$T/cg.$name.1" 2>/dev/null)
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "$name: $ok of $N answered 200; $((${ir:-0} / N)) instructions per request (user space, all threads)"
	[ -z "${KEEP:-}" ] || cp "$T/cg.$name.1" "build/bench/cg-serve.$name.out"
}
port=$(free_port)
measure handoff "$port" "$HANDOFF" serve --threads 8 --listen "127.0.0.1:$port" \
	--public-url "http://127.0.0.1:$port"
port=$(free_port)
export HANDOFF_CONSOLE_TOKEN="bench-console-$RANDOM$RANDOM"
measure handoff_console "$port" "$HANDOFF" serve --threads 8 --listen "127.0.0.1:$port" \
	--public-url "http://127.0.0.1:$port" --console 127.0.0.1:0
unset HANDOFF_CONSOLE_TOKEN
. tests/e2e/pg.bash
PGC=$(mktemp -d /tmp/handoff-bench-pg-XXXXXX)
if pg_cluster_start "$PGC" 2>"$T/pg.err"; then
	pg_load_env "$PGC"
	unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
	pgdb=$(pg_new_db bench)
	"$HANDOFF" store copy "$HANDOFF_DB" "$pgdb" >/dev/null || exit 1
	port=$(free_port)
	HANDOFF_DB=$pgdb measure handoff_pg "$port" "$HANDOFF" serve --threads 8 --listen "127.0.0.1:$port" \
		--public-url "http://127.0.0.1:$port"
else
	echo "handoff_pg: SKIP: $(tail -1 "$T/pg.err")"
fi
port=$(free_port)
measure ceiling "$port" build/bench/ceiling "$port" 8
