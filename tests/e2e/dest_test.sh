# dest_test.sh: `handoff dest test NAME`: in-process over the database, and against a running
# `handoff serve` on loopback (signed webhooks), the transfer's legs, TwiML and SIP headers.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

dt() { # DESC EXIT ARGS...
	local d=$1 want=$2
	shift 2
	expect_exit "$d" "$want" "$HANDOFF" dest test "$@"
}

"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null 2>&1
"$HANDOFF" dest add front-desk --route '+14155550123' >/dev/null 2>&1
"$HANDOFF" promote --message v1 >/dev/null 2>&1
# the sandbox moves on: billing-v2, and a sandbox-only destination
"$HANDOFF" dest set billing --route 'sip:billing-v2@pbx.example.com' >/dev/null 2>&1
"$HANDOFF" dest add support --route 'sip:support@pbx.example.com' >/dev/null 2>&1

# --- in-process (no socket) ---
dt "in-process: billing transfers" 0 billing --refer-header 'X-Reason: upsell'
out=$(cat "$T/out")
expect_match "the sandbox voice route answered" "$out" 'voice +POST http://handoff.in-process/sandbox/voice -> 200 text/xml'
expect_match "REFER answered 202" "$out" 'Refer-To: <sip:billing@handoff.test\?X-Reason=upsell> -> 202'
expect_match "the destination's TwiML is shown ('+' written %2B)" "$out" '<Sip>sip:billing-v2@pbx.example.com\?X-Caller=%2B14155550100&amp;X-Reason=upsell</Sip>'
expect_match "NOTIFY 200" "$out" 'NOTIFY +SIP/2.0 200 OK'
expect_match "the target's headers" "$out" $'X-Caller: \\+14155550100\n  X-Reason: upsell'
expect_match "agent leg completed (BYE)" "$out" 'A +agent +outbound-dial +completed'
expect_match "caller bridged to the target" "$out" 'connected: B<->caller'
expect_match "ok line" "$out" '^ok: the caller is bridged to billing'

dt "in-process --json" 0 billing --json --refer-header 'X-Reason: upsell'
J=$(cat "$T/out")
expect_eq "json: ok, sandbox, 202" "$(jq -r '[.ok, .env, .refer.sip_response] | join(" ")' <<<"$J")" "true sandbox 202"
expect_eq "json: notify" "$(jq -c .refer.notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 200 OK"]'
expect_eq "json: headers" "$(jq -c .target_invite.headers <<<"$J")" '{"X-Caller":"+14155550100","X-Reason":"upsell"}'
expect_eq "json: legs" "$(jq -r '[.legs[] | "\(.label)=\(.status)"] | join(",")' <<<"$J")" "P=in-progress,A=completed,B=in-progress"
dt "a header value holding '; '" 0 billing --json --refer-header 'X-Reason: 1234;encoding=hex; more'
expect_eq "json: the value whole" "$(jq -c .target_invite.headers "$T/out")" '{"X-Caller":"+14155550100","X-Reason":"1234;encoding=hex; more"}'
expect_eq "json: connected" "$(jq -c .connected <<<"$J")" '["B<->caller"]'
expect_eq "json: every value arrives as meant" "$(jq -c .warnings <<<"$J")" '[]'
expect_no_match "no warning line" "$out" 'warning:'
dt "--at needs the in-process server" 2 billing --server http://127.0.0.1:1 --at now
expect_match "--at usage says why" "$(cat "$T/err")" 'a running server answers by its own clock'

dt "--env live uses the promoted version" 0 billing --env live --json
expect_eq "live: billing v1 route" "$(jq -r '.legs[] | select(.label == "B") | .to' "$T/out" | cut -d'?' -f1)" "sip:billing@pbx.example.com"
expect_eq "live: /voice and /refer" "$(jq -r '[.voice.url, .refer.webhook.url] | join(" ")' "$T/out")" \
	"http://handoff.in-process/voice http://handoff.in-process/refer"
dt "a number route" 0 front-desk --json
expect_eq "number: the target is the number, no SIP headers" \
	"$(jq -r '[(.legs[] | select(.label == "B") | .to), (.target_invite.headers | length)] | join(" ")' "$T/out")" "+14155550123 0"

dt "unknown name fails" 1 nobody
expect_match "the reason" "$(cat "$T/err")" '^handoff: dest test nobody: no destination named nobody in the sandbox: the server answered 404$'
expect_match "a hint" "$(cat "$T/err")" 'hint: the names: handoff dest list --env sandbox'
expect_match "the caller went back to the agent" "$(cat "$T/out")" 'connected: agent<->caller'
dt "sandbox-only name is not live" 1 support --env live
expect_match "live reason" "$(cat "$T/err")" 'no destination named support in the live set: the server answered 404'

dt "busy target: caller back with the agent" 0 billing --target busy --json
expect_eq "busy: NOTIFY 486, B busy, agent<->caller" \
	"$(jq -r '[.refer.notify[1], (.legs[] | select(.label == "B") | .status), .connected[0]] | join(" | ")' "$T/out")" \
	"SIP/2.0 486 Busy Here | busy | agent<->caller"
dt "no-answer target" 0 billing --target no-answer --json
expect_eq "no-answer: 408" "$(jq -r '.refer.notify[1]' "$T/out")" "SIP/2.0 408 Request Timeout"

# --- usage and input errors ---
dt "no NAME" 2
dt "bad NAME" 2 'bill ing'
dt "bad --target" 2 billing --target maybe
dt "bad --env" 2 billing --env staging
dt "bad --server" 2 billing --server ftp://x
dt "bad --refer-header" 2 billing --refer-header 'X-Reason'
dt "--db with --server" 2 billing --server http://127.0.0.1:1 --db "$T/x.db"
expect_match "says why" "$(cat "$T/err")" 'reads its own database'
dt "no database" 1 billing --db "$T/none.db"
expect_match "says which file" "$(cat "$T/err")" "none.db"
expect_match "listed in dest --help" "$("$HANDOFF" dest --help 2>&1)" 'test'
expect_exit "dest test --help" 0 "$HANDOFF" dest test --help
expect_match "help names --server" "$(cat "$T/out")" '--server URL'

# --- against a running server (real HTTP, signed) ---
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$HANDOFF" serve --listen "127.0.0.1:$PORT" --agent 'sip:agent@pbx.example.com' 2>>"$T/serve.log" &
SERVER_PID=$!
wait_http "$BASE/healthz" 15 || { not_ok "server did not start" "$(tail -5 "$T/serve.log")"; finish; exit 1; }
dt "server: billing transfers" 0 billing --server "$BASE/" --json --refer-header 'X-Reason: upsell'
J=$(cat "$T/out")
expect_eq "server: webhooks went to it" "$(jq -r '[.voice.url, .refer.webhook.url] | join(" ")' <<<"$J")" \
	"$BASE/sandbox/voice $BASE/sandbox/refer"
expect_eq "server: its agent was dialled" "$(jq -r '.legs[] | select(.label == "A") | .to' <<<"$J")" "sip:agent@pbx.example.com"
expect_eq "server: headers" "$(jq -c .target_invite.headers <<<"$J")" '{"X-Caller":"+14155550100","X-Reason":"upsell"}'
expect_match "server log: signed requests answered" "$(server_log)" 'POST /sandbox/refer 200 .*dest=billing'
dt "server: unknown name" 1 nobody --server "$BASE"
expect_match "server: 404 reason" "$(cat "$T/err")" 'no destination named nobody in the sandbox: the server answered 404'
export OTHER_TOKEN=not-the-servers-token
dt "server: wrong token" 1 billing --server "$BASE" --token-env OTHER_TOKEN
expect_match "server: 403 explained" "$(cat "$T/err")" 'answered 403'
expect_match "server: token hint" "$(cat "$T/err")" 'hint: sign with the server'
dt "server: no token" 1 billing --server "$BASE" --token-env UNSET_TOKEN_VAR
expect_match "server: says where the token should be" "$(cat "$T/err")" 'no auth token in UNSET_TOKEN_VAR'
expect_no_match "the token is never printed" "$(cat "$T/out" "$T/err" "$T/serve.log")" "$TWILIO_AUTH_TOKEN"
stop_server

# --- a server without the '+' fix: a stub answering a literal '+' in the <Sip> header ---
cat >"$T/stub.py" <<'PY'
import http.server, sys
PORT = sys.argv[1]
ANSWERS = {
    "/sandbox/voice": '<Response><Dial answerOnBridge="true" referUrl="http://127.0.0.1:' + PORT
    + '/sandbox/refer"><Sip>sip:agent@pbx.example.com</Sip></Dial></Response>',
    "/sandbox/refer": '<Response><Dial answerOnBridge="true"><Sip>sip:old@pbx.example.com'
    '?X-Caller=+14155550100&amp;X-Name=Agent%2C%20A</Sip></Dial></Response>',
}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = ANSWERS.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(PORT)), H).serve_forever()
PY
SPORT=$(free_port)
python3 "$T/stub.py" "$SPORT" &
STUB_PID=$!
CLEANUP+=("kill $STUB_PID 2>/dev/null")
wait_http "http://127.0.0.1:$SPORT/" 10 || true
dt "old server: the transfer works, with a warning" 0 billing --server "http://127.0.0.1:$SPORT"
out=$(cat "$T/out")
expect_match "the target receives a space" "$out" $'\n  X-Caller:  14155550100\n'
expect_match "warning: what arrives vs what the URI means" "$out" \
	'warning: X-Caller reaches the target as " 14155550100", but the answer.s URI means "\+14155550100": Twilio reads .\+. in a <Sip> header value as a space, so the server must write it %2B'
expect_no_match "X-Name arrives as meant: no warning for it" "$out" 'warning: X-Name'
dt "old server --json" 0 billing --server "http://127.0.0.1:$SPORT" --json
expect_eq "json: one warning" "$(jq -r '.warnings | length' "$T/out")" "1"
expect_eq "json: the headers as received" "$(jq -c .target_invite.headers "$T/out")" '{"X-Caller":" 14155550100","X-Name":"Agent, A"}'
kill "$STUB_PID" 2>/dev/null

port2=$(free_port)
dt "server down" 1 billing --server "http://127.0.0.1:$port2"
expect_match "unreachable explained" "$(cat "$T/err")" 'could not be reached \(Twilio error 1120[0-9]\)'
finish
