# serve_reload: live/sandbox changes picked up within a second without a
# restart, SIGHUP, SIGTERM, the token rules, --public-url and --trust-proxy.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

setup_dests || { not_ok "setting up destinations"; finish; exit 1; }

# --- no token: refused, unless explicitly insecure ---
PORT=$(free_port)
TWILIO_AUTH_TOKEN="" expect_exit "no token: refuses to start" 1 "$HANDOFF" serve --listen "127.0.0.1:$PORT"
expect_match "no token: says why" "$(cat "$T/err")" 'TWILIO_AUTH_TOKEN is not set'
expect_exit "a bad --public-url" 2 "$HANDOFF" serve --public-url 'ftp://x' --listen "127.0.0.1:$PORT"
expect_exit "a bad --agent" 2 "$HANDOFF" serve --agent 'tel:+1' --listen "127.0.0.1:$PORT"
expect_exit "an unknown flag" 2 "$HANDOFF" serve --nope

save=$TWILIO_AUTH_TOKEN
TWILIO_AUTH_TOKEN="" start_server --insecure-no-signature --agent sip:ai@a.example.com
s=$(curl -s -o /dev/null -w '%{http_code}' -d 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "insecure: unsigned request answered" "$s" 200
expect_match "insecure: said loudly" "$(server_log)" 'WARNING: signature checks are off'
stop_server
expect_eq "insecure: SIGTERM exit 0" "$STOP_RC" 0
TWILIO_AUTH_TOKEN=$save
: >"$T/serve.log"

# --- --public-url behind a TLS proxy, with a path prefix ---
start_server --public-url 'https://agent.example.com/hooks/' --agent sip:ai@a.example.com
BASE_LOCAL=$BASE
sig=$("$HANDOFF" sig sign --url 'https://agent.example.com/hooks/refer' 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE_LOCAL/refer")
expect_eq "public URL: signed for the public URL" "$s" 200
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE_LOCAL/hooks/refer")
expect_eq "public URL: a proxy that keeps the path" "$s" 200
sig=$("$HANDOFF" sig sign --url 'https://agent.example.com/hooks/voice')
curl -s -o "$T/body" -H "X-Twilio-Signature: $sig" -X POST "$BASE_LOCAL/voice"
expect_match "public URL: referUrl" "$(cat "$T/body")" 'referUrl="https://agent.example.com/hooks/refer"'
sig=$("$HANDOFF" sig sign --url "$BASE_LOCAL/refer" 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE_LOCAL/refer")
expect_eq "public URL: signed for the local URL is refused" "$s" 403
stop_server

# --- rebuilt from the request: X-Forwarded-* only with --trust-proxy ---
start_server
sig=$("$HANDOFF" sig sign --url 'https://proxy.example.com/refer' 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: proxy.example.com' --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "X-Forwarded-* ignored without --trust-proxy" "$s" 403
expect_match "the 403 log suggests --public-url" "$(server_log)" 'rebuilt from the request: behind a proxy, give --public-url'
stop_server
start_server --trust-proxy
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: proxy.example.com' --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "X-Forwarded-* honoured with --trust-proxy" "$s" 200
sig=$("$HANDOFF" sig sign --url 'https://proxy.example.com:443/refer' 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: proxy.example.com' --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "signed with :443, received without: accepted" "$s" 200
stop_server

# --- the secondary token during a rotation ---
export TWILIO_AUTH_TOKEN_SECONDARY="secondary-$RANDOM"
start_server
sig=$(TWILIO_AUTH_TOKEN=$TWILIO_AUTH_TOKEN_SECONDARY "$HANDOFF" sig sign --url "$BASE/refer" 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "the secondary token is accepted" "$s" 200
sig=$(TWILIO_AUTH_TOKEN="third-$RANDOM" "$HANDOFF" sig sign --url "$BASE/refer" 'ReferTransferTarget=sip:billing@a')
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-urlencode 'ReferTransferTarget=sip:billing@a' "$BASE/refer")
expect_eq "a third token is refused" "$s" 403
expect_match "startup says both tokens" "$(server_log)" 'signatures checked \(primary and secondary token\)'
stop_server
unset TWILIO_AUTH_TOKEN_SECONDARY

# --- promote, rollback and sandbox edits, picked up within a second ---
: >"$T/serve.log"
start_server
route_of() { # PATH: the <Sip>/<Number> billing answers on PATH now
	hook POST "$1" 'ReferTransferTarget=sip:billing@a'
	grep -o '<Sip>[^?<]*\|<Number>[^<]*' "$T/body" | head -1
}
expect_eq "live before promote" "$(route_of /refer)" "<Sip>sip:billing@pbx.example.com"
expect_eq "sandbox before promote" "$(route_of /sandbox/refer)" "<Sip>sip:billing-v2@pbx.example.com"
"$HANDOFF" promote --message v2 >/dev/null
t0=$(date +%s%N)
sleep 1
expect_eq "live after promote, within 1 s" "$(route_of /refer)" "<Sip>sip:billing-v2@pbx.example.com"
"$HANDOFF" dest set billing --route 'sip:billing-v3@pbx.example.com' >/dev/null
sleep 1
expect_eq "a sandbox edit, within 1 s" "$(route_of /sandbox/refer)" "<Sip>sip:billing-v3@pbx.example.com"
expect_eq "... and live unchanged" "$(route_of /refer)" "<Sip>sip:billing-v2@pbx.example.com"
"$HANDOFF" rollback >/dev/null
sleep 1
expect_eq "live after rollback, within 1 s" "$(route_of /refer)" "<Sip>sip:billing@pbx.example.com"
expect_match "metrics: version after rollback" "$(curl -s "$BASE/metrics")" '^handoff_live_version 1$'
expect_match "the log notes the reload" "$(server_log)" 'serve: loaded live version 2'

# --- SIGHUP ---
kill -HUP "$SERVER_PID"
sleep 0.3
expect_eq "still serving after SIGHUP" "$(curl -s "$BASE/healthz")" "ok"
expect_match "SIGHUP logged" "$(server_log)" 'serve: SIGHUP: reloading'

# --- SIGTERM with requests in flight: they finish, exit 0 ---
for i in $(seq 1 20); do curl -s -o /dev/null -w '%{http_code}\n' "$BASE/healthz" >>"$T/inflight" & done
sleep 0.05
stop_server
wait
expect_eq "SIGTERM: exit 0" "$STOP_RC" 0
# a request either completed (200) or found the port closed (000): nothing in between
expect_eq "no request failed half-way around SIGTERM" "$(grep -cvE '^(200|000)$' "$T/inflight")" 0
expect_match "SIGTERM: logged" "$(server_log)" 'serve: stopped'
start_server
kill -INT "$SERVER_PID"
wait "$SERVER_PID"
expect_eq "SIGINT: exit 0" "$?" 0
SERVER_PID=""
finish
