# emulator_interop.sh: the official twilio npm package against `handoff emulator`: its
# validateRequest accepts every webhook the emulator sends (a Node app on loopback receives
# /voice, referUrl, Dial actions and status callbacks, POST and GET), and its REST client
# creates, lists and updates numbers and creates a call that the engine runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

need_interop "emulator interop"

start_emulator
(cd "$ROOT/tests/interop" && HANDOFF_INTEROP_TOKEN=$TOK timeout 90 node emulator_hooks.js "$BASE" "$AC") >"$T/out" 2>"$T/err"
expect_eq "the app and the twilio package ran" "$?" 0
J=$(cat "$T/out")
[ -n "$J" ] || J='{}'
H=$(jq -c '.hooks // []' <<<"$J")
n=$(jq length <<<"$H")
expect_match "webhooks received (at least 20)" "$n" '^([2-9][0-9]|[1-9][0-9]{2,})$'
expect_eq "every webhook carried X-Twilio-Signature" "$(jq '[.[] | select(.signed | not)] | length' <<<"$H")" 0
expect_eq "validateRequest accepted every webhook" "$(jq -c '[.[] | select(.valid | not) | "\(.method) \(.path)"]' <<<"$H")" '[]'
expect_eq "and none under another token (the check can fail)" "$(jq '[.[] | select(.validOtherToken)] | length' <<<"$H")" 0
expect_eq "every kind of webhook was exercised" \
	"$(jq -r '[.[] | "\(.method) \(.path)"] | unique | join(",")' <<<"$H")" \
	"GET /action,GET /refer,GET /voice,POST /action,POST /outbound,POST /refer,POST /status,POST /voice"
expect_eq "status callbacks for every leg state" \
	"$(jq -r '[.[] | select(.path == "/status") | .status] | unique | join(",")' <<<"$H")" "busy,completed,in-progress,initiated,ringing"
expect_eq "referUrl carried the Refer-To (POST and GET)" \
	"$(jq -r '[.[] | select(.path == "/refer") | .target] | join(" ")' <<<"$H")" \
	"<sip:billing@agent.example.com> <sip:billing@agent.example.com?X-Reason=busy>"
expect_eq "referUrl's CallSid is the caller's" "$(jq -r '[.hooks[] | select(.path == "/refer")][0].callSid' <<<"$J")" "$(jq -r .p1 <<<"$J")"
expect_eq "Dial actions got DialCallStatus" "$(jq -r '[.[] | select(.path == "/action") | .dialStatus] | join(",")' <<<"$H")" "completed,completed"
expect_eq "REFER answered: bridged" "$(jq -c .refer1 <<<"$J")" '{"sip":202,"notify":["SIP/2.0 100 Trying","SIP/2.0 200 OK"],"connected":["B<->caller"]}'
expect_eq "REFER busy: back with the agent" "$(jq -c .refer2 <<<"$J")" '{"sip":202,"notify":["SIP/2.0 100 Trying","SIP/2.0 486 Busy Here"],"connected":["agent<->caller"]}'
expect_eq "legs after the target hung up" "$(jq -r '.after1 | join(",")' <<<"$J")" "P=completed,A=completed,B=completed"
# the REST client
expect_eq "numbers created and listed by the package" "$(jq -r '.listed | join(",")' <<<"$J")" "+14155550198,+14155550199"
expect_eq "number updated by the package" "$(jq -r '"\(.updated) \(.getNumber)"' <<<"$J")" "true GET"
expect_eq "calls.create: an outbound-api call, answered queued" "$(jq -r '"\(.created.direction) \(.created.status)"' <<<"$J")" "outbound-api queued"
expect_match "its sid" "$(jq -r .created.sid <<<"$J")" '^CA[0-9a-f]{32}$'
expect_eq "the engine fetched its Url once answered (in the call's events)" "$(jq -r '.createdEvents | map(select(startswith("Url "))) | join(",")' <<<"$J")" \
	"Url POST $(jq -r .app <<<"$J")/outbound"
expect_eq "calls.create's StatusCallback: every event, in order" \
	"$(jq -r --arg s "$(jq -r .created.sid <<<"$J")" '[.[] | select(.path == "/status" and .callSid == $s) | .status] | join(",")' <<<"$H")" \
	"initiated,ringing,in-progress,completed"
expect_eq "calls(sid).fetch: it ran to the end" "$(jq -r .createdFetched <<<"$J")" completed
expect_match "calls.list sees every leg" "$(jq -r .callsListed <<<"$J")" '^([7-9]|[1-9][0-9])$'
[ "$FAIL" -eq 0 ] || echo "node stderr: $(head -5 "$T/err")"
stop_emulator
expect_eq "emulator exits 0" "$?" 0
finish
