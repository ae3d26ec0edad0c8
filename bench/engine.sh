#!/usr/bin/env bash
# engine.sh: complete transfer flows per second through the emulator engine on the virtual
# clock: (1) flow files with inline answers, (2) the app = the webhook server's handler
# in-process, (3) the app = `handoff serve` on a loopback port through the live fetcher
# (libcurl, signed webhooks); and the ratio of (2) to (3). Builds bench/*_bench.c against
# build/rel/libhandoff.a. Env: BENCH_SECONDS (default 2 per figure), FLOW, HANDOFF.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${BENCH_SECONDS:-2}
HANDOFF=${HANDOFF:-$ROOT/bin/handoff}
make -s build/rel/libhandoff.a bin/handoff
PKGS="libxml-2.0 libcurl openssl sqlite3 libpq jansson libmicrohttpd"
mkdir -p build/bench
for b in engine_bench app_bench; do
	cc -std=c11 -D_GNU_SOURCE -O2 -I. -Isrc $(pkg-config --cflags $PKGS) -o "build/bench/$b" \
		"bench/$b.c" build/rel/libhandoff.a $(pkg-config --libs $PKGS) $(pkg-config --libs libre 2>/dev/null) -lpthread -lm
done
build/bench/engine_bench "${FLOW:-fixtures/flows/twilio-voice_aob-true_target-answers.json}" "$SECS"

T=$(mktemp -d)
SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT
export HANDOFF_DB="$T/bench.db" TWILIO_AUTH_TOKEN="bench-token-$RANDOM$RANDOM"
"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null
"$HANDOFF" promote --message bench >/dev/null
inproc=$(build/bench/app_bench "$SECS" "$HANDOFF_DB" 2>"$T/inproc.err") || { echo "engine: in-process app failed: $(cat "$T/inproc.err")"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$HANDOFF" serve --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
	--agent 'sip:agent@pbx.example.com' 2>"$T/serve.log" &
SPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
loop=$(build/bench/app_bench "$SECS" "$HANDOFF_DB" "http://127.0.0.1:$port" 2>"$T/loop.err") || { echo "engine: loopback app failed: $(cat "$T/loop.err")"; exit 1; }
echo "engine: $inproc complete transfer flows/s with the server's handler in-process (2 webhooks each, signed and checked)"
echo "engine: $loop complete transfer flows/s with 'handoff serve' over loopback (libcurl, one connection per webhook)"
awk -v a="$inproc" -v b="$loop" 'BEGIN { if (b > 0) printf "engine: in-process / loopback = %.1f\n", a / b }'
