# twilio_faults.sh: the admin CLI's retries, timeouts and error lines against injected faults.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

start_emulator --seed-numbers 3
export TWILIO_ACCOUNT_SID=$AC TWILIO_AUTH_TOKEN=$TOK

# wrong token from the environment
TWILIO_AUTH_TOKEN=not-the-token tw "wrong token" 1 numbers list
expect_match "wrong token: one line with Twilio 20003" "$(head -1 "$T/err")" '^handoff: numbers list: Twilio 20003: .* \(https://www.twilio.com/docs/errors/20003\)$'
expect_match "wrong token: a hint" "$(cat "$T/err")" '^hint: the credentials were refused'
TWILIO_AUTH_TOKEN='' tw "SID without a token" 1 numbers list
expect_match "says what is missing" "$(cat "$T/err")" 'neither TWILIO_AUTH_TOKEN nor'

# 429 with Retry-After, then success
expect_eq "arm a 429" "$(fault Status=429 Count=1 RetryAfter=1)" 200
start=$(date +%s%N)
tw "429 then success" 0 numbers list
ms=$((($(date +%s%N) - start) / 1000000))
expect_match "the retry is announced with Retry-After's wait" "$(cat "$T/err")" 'HTTP 429; retry 1 in 1\.0 s'
if [ "$ms" -ge 950 ]; then ok; else not_ok "Retry-After honoured (waited ${ms} ms)"; fi
expect_match "the list arrived" "$(cat "$T/out")" '^3 numbers$'

# 503 twice, then success within the retry budget
fault Status=503 Count=2 >/dev/null
tw "503 twice then success" 0 numbers list
expect_eq "two retries announced" "$(grep -c 'retry [0-9]' "$T/err")" 2

# 500 on every attempt: a clear failure after 1 + 3 retries
fault Status=500 Count=10 >/dev/null
tw "500 every time" 1 numbers list
expect_match "500: one clear line" "$(tail -1 "$T/err")" '^handoff: numbers list: Twilio 20500: .* \[after 4 attempts\]$'
expect_eq "500: three retries" "$(grep -c 'retry [0-9]' "$T/err")" 3
fault Status=500 Count=0 >/dev/null

# a stalled server: the total timeout (flag and environment)
fault StallMs=4000 Count=1 >/dev/null
start=$(date +%s%N)
tw "stall past --timeout" 1 numbers list --timeout 1
ms=$((($(date +%s%N) - start) / 1000000))
expect_match "stall: timed out" "$(head -1 "$T/err")" '^handoff: numbers list: timed out after 1\.[0-9] s'
if [ "$ms" -lt 3000 ]; then ok; else not_ok "timeout is bounded (took ${ms} ms)"; fi
expect_no_match "a timed-out request is not repeated" "$(cat "$T/err")" 'retry [0-9]'
sleep 3.2 # let the stalled handler finish before the next fault
fault StallMs=3000 Count=1 >/dev/null
HANDOFF_TWILIO_TIMEOUT_MS=800 tw "stall past HANDOFF_TWILIO_TIMEOUT_MS" 1 numbers show +14155550100
expect_match "env timeout: timed out" "$(cat "$T/err")" 'timed out after 0\.[0-9] s'
sleep 2.5

# unknown resources
tw "unknown number" 1 numbers show +19995550100
expect_match "unknown number: one line" "$(cat "$T/err")" '^handoff: numbers show \+19995550100: no such number in account'

# nobody listening
DEAD=$(free_port)
TWILIO_API_BASE=http://127.0.0.1:$DEAD HANDOFF_TWILIO_RETRIES=1 tw "connection refused" 1 numbers list
expect_match "refused: says so" "$(tail -2 "$T/err" | head -1)" 'connection refused'
expect_match "refused: hints at the base" "$(cat "$T/err")" 'hint: check --api-base'
tw "a malformed --api-base" 2 numbers list --api-base notaurl

# a listener whose accept queue is full drops SYNs: a connect timeout (retried, then clear)
python3 - "$T/fullport" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
held = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    held.append(c)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(15)
PY
FULL=$!
CLEANUP+=("kill $FULL 2>/dev/null")
for _ in $(seq 50); do [ -s "$T/fullport" ] && break; sleep 0.1; done
TWILIO_API_BASE=http://127.0.0.1:$(cat "$T/fullport") HANDOFF_TWILIO_CONNECT_TIMEOUT_MS=400 \
	HANDOFF_TWILIO_RETRIES=1 tw "connect timeout" 1 numbers list
expect_match "connect timeout: retried once" "$(cat "$T/err")" 'no connection; retry 1'
expect_match "connect timeout: one clear line" "$(cat "$T/err")" '^handoff: numbers list: connect timed out after 0\.[0-9] s \[after 2 attempts\]$'
kill $FULL 2>/dev/null

# TLS verification is on: a self-signed server is refused, not talked to
if command -v openssl >/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 1 \
		-subj /CN=127.0.0.1 >/dev/null 2>&1; then
	TP=$(free_port)
	openssl s_server -quiet -accept "$TP" -cert "$T/c.pem" -key "$T/k.pem" -www </dev/null >/dev/null 2>&1 &
	SP=$!
	CLEANUP+=("kill $SP 2>/dev/null")
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$TP) 2>/dev/null && break; sleep 0.1; done
	TWILIO_API_BASE=https://127.0.0.1:$TP tw "self-signed TLS" 1 numbers list --timeout 5
	expect_match "self-signed TLS: a TLS failure, no retry" "$(cat "$T/err")" '^handoff: numbers list: TLS failure'
	kill $SP 2>/dev/null
else
	skip "openssl not available: no TLS verification test"
fi

no_secret_anywhere
stop_emulator
expect_eq "emulator exits 0 on SIGTERM" "$?" 0
finish
