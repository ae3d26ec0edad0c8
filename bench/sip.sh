#!/usr/bin/env bash
# sip.sh (part of make bench): complete transfers over real SIP, UDP: `handoff emulator --sip`
# with `handoff serve` as the app (its /voice rings the agent, its /refer answers billing's
# TwiML), and bench/sip_bench.c as the agent on loopback. Prints REFER-to-202 p50/p99,
# REFER-to-final-NOTIFY, transfers/s, and the emulator's own OPTIONS round trip as the
# reference of the same run: once for the REFER's own path (a call at a time, the call idle
# when the REFER comes), once under full load. Env: SIP_LATENCY_TRANSFERS (200), SIP_TRANSFERS
# (700; the engine keeps at most 1024 calls), SIP_CONCURRENCY (8), HANDOFF.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
HANDOFF=${HANDOFF:-$ROOT/bin/handoff}
N=${SIP_TRANSFERS:-700}
C=${SIP_CONCURRENCY:-8}
if ! "$HANDOFF" emulator --sip 127.0.0.1:0 --listen 127.0.0.1:1 --auth-token-file /nonexistent 2>&1 |
	grep -qv 'built without SIP'; then
	echo "sip: SKIP: this handoff was built without SIP (libre-dev)"
	exit 0
fi
mkdir -p build/bench
cc -std=c11 -D_GNU_SOURCE -I. -O2 -pthread -o build/bench/sip_bench bench/sip_bench.c
T=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
up() { for _ in $(seq 1 100); do curl -s -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done; return 1; }
export HANDOFF_DB="$T/bench.db" TWILIO_AUTH_TOKEN="bench-token-$RANDOM$RANDOM"
export HANDOFF_EMULATOR_AUTH_TOKEN=$TWILIO_AUTH_TOKEN
AC=AC0123456789abcdef0123456789abcdef
"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null
"$HANDOFF" promote --message bench >/dev/null
UA=$(udp_port) SP=$(port) EP=$(port)
"$HANDOFF" serve --listen "127.0.0.1:$SP" --public-url "http://127.0.0.1:$SP" \
	--agent "sip:agent@127.0.0.1:$UA" 2>"$T/serve.log" &
PIDS+=($!)
"$HANDOFF" emulator --listen "127.0.0.1:$EP" --account-sid "$AC" --sip 127.0.0.1:0 \
	>"$T/emu.out" 2>"$T/emu.err" &
PIDS+=($!)
up "http://127.0.0.1:$SP/healthz" && up "http://127.0.0.1:$EP/healthz" || { echo "sip: the servers did not start"; exit 1; }
for _ in $(seq 1 50); do grep -q '^sip listening' "$T/emu.out" && break; sleep 0.1; done
SIPP=$(sed -n 's/^sip listening on udp+tcp 127.0.0.1://p' "$T/emu.out")
curl -s -o /dev/null -u "$AC:$TWILIO_AUTH_TOKEN" --data-urlencode PhoneNumber=+14155550199 \
	--data-urlencode VoiceUrl="http://127.0.0.1:$SP/voice" \
	"http://127.0.0.1:$EP/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json"
# the REFER's own path: one call at a time, the agent REFERs 20 ms after it answered
[ -n "${SIP_SKIP_LATENCY:-}" ] || build/bench/sip_bench "$EP" "$SIPP" "$UA" "${SIP_LATENCY_TRANSFERS:-200}" 1 20
# a full load: calls placed C at a time, REFERs at once (also fills the engine's calls)
build/bench/sip_bench "$EP" "$SIPP" "$UA" "$N" "$C" 0
