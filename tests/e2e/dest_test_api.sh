# dest_test_api.sh: `handoff dest test NAME --via api`, the Voice API transfer: an agent on
# <Connect><Stream>, the live call updated to /sandbox/transfer/NAME; in-process over the
# database and against a running `handoff serve` (signed, no --agent needed).
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
"$HANDOFF" dest set billing --route 'sip:billing-v2@pbx.example.com' >/dev/null 2>&1

# --- in-process ---
dt "via api: billing transfers" 0 billing --via api
out=$(cat "$T/out")
expect_match "the agent's stream answered" "$out" "answered by the agent's <Connect><Stream> wss://agent.handoff.test/media"
expect_match "the REST update" "$out" '^REST update of the call: Url=http://handoff.in-process/sandbox/transfer/billing$'
expect_match "the transfer route answered" "$out" 'transfer +POST http://handoff.in-process/sandbox/transfer/billing -> 200 text/xml'
expect_match "the destination's TwiML, \$refer.* empty" "$out" '<Sip>sip:billing-v2@pbx.example.com\?X-Caller=%2B14155550100</Sip>'
expect_match "the target's headers" "$out" $'X-Caller: \\+14155550100\n  X-Reason: $'
expect_match "two legs, no agent leg" "$out" $'legs:\n  P +caller +inbound +in-progress .*\n  B +B +outbound-dial +in-progress'
expect_match "caller bridged to the target" "$out" '^connected: B<->caller$'
expect_match "ok line" "$out" '^ok: the caller is bridged to billing \(sip:billing-v2@pbx.example.com'

dt "via api --json --env live" 0 billing --via api --json --env live
J=$(cat "$T/out")
expect_eq "json: via, env, ok" "$(jq -r '[.via, .env, .ok] | join(" ")' <<<"$J")" "api live true"
expect_eq "json: the live route" "$(jq -r .update.url <<<"$J")" "http://handoff.in-process/transfer/billing"
expect_eq "json: legs" "$(jq -r '[.legs[] | "\(.label)=\(.status)"] | join(",")' <<<"$J")" "P=in-progress,B=in-progress"
expect_eq "json: the stream stopped" "$(jq -c '[.streams[] | [.kind, .open]]' <<<"$J")" '[["connect",false]]'
expect_eq "json: live billing v1" "$(jq -r '.legs[] | select(.label == "B") | .to' <<<"$J" | cut -d'?' -f1)" "sip:billing@pbx.example.com"

dt "via api: busy target" 0 billing --via api --target busy --json
expect_eq "busy: B busy, the call ended (no way back to the stream)" \
	"$(jq -r '[(.legs[] | "\(.label)=\(.status)"), (.connected | length)] | join(",")' "$T/out")" "P=completed,B=busy,0"
dt "via api: a number route" 0 front-desk --via api --json
expect_eq "number: no SIP headers" "$(jq -r '[(.legs[] | select(.label == "B") | .to), (.target_invite.headers | length)] | join(" ")' "$T/out")" "+14155550123 0"
"$HANDOFF" dest add uui --route 'sip:uui@pbx.example.com' --header 'User-to-User: 1234;encoding=hex' >/dev/null 2>&1
dt "via api: a header value holding ';'" 0 uui --via api --json
expect_eq "the value whole" "$(jq -c .target_invite.headers "$T/out")" '{"User-to-User":"1234;encoding=hex"}'
dt "via api: unknown name" 1 nobody --via api
expect_match "404 reason" "$(cat "$T/err")" '^handoff: dest test nobody: no destination named nobody in the sandbox: the server answered 404$'
expect_match "names hint" "$(cat "$T/err")" 'hint: the names: handoff dest list --env sandbox'

# --- usage ---
dt "--via bogus" 2 billing --via sip
dt "--refer-header with --via api" 2 billing --via api --refer-header 'X-Reason: x'
expect_match "says why" "$(cat "$T/err")" 'has none'
expect_exit "help names --via api" 0 "$HANDOFF" dest test --help
expect_match "help text" "$(cat "$T/out")" '--via api'

# --- against a running server, which needs no --agent for this ---
start_server || { finish; exit 1; }
dt "server: via api" 0 billing --via api --server "$BASE" --json
J=$(cat "$T/out")
expect_eq "server: the update went to it" "$(jq -r .update.webhook.url <<<"$J")" "$BASE/sandbox/transfer/billing"
expect_eq "server: headers" "$(jq -c .target_invite.headers <<<"$J")" '{"X-Caller":"+14155550100"}'
expect_match "server log: the signed transfer answered" "$(server_log)" 'POST /sandbox/transfer/billing 200 .*dest=billing version=0'
export OTHER_TOKEN=not-the-servers-token
dt "server: wrong token" 1 billing --via api --server "$BASE" --token-env OTHER_TOKEN
expect_match "server: 403 explained" "$(cat "$T/err")" 'refused the webhook.s signature \(403\)'
expect_no_match "the token is never printed" "$(cat "$T/out" "$T/err" "$T/serve.log")" "$TWILIO_AUTH_TOKEN"
stop_server
dt "server down" 1 billing --via api --server "$BASE"
expect_match "unreachable explained" "$(cat "$T/err")" 'could not be reached \(Twilio error 1120[0-9]\)'
finish
