# calls_interop.sh: the official twilio npm package's REST client, unchanged but for its base
# URL, changes live calls on `handoff emulator` (TwiML, Url, hang-up, cancel while ringing,
# delete) and gets Twilio's errors as RestExceptions (code and status).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

need_interop "calls interop"

start_emulator
(cd "$ROOT/tests/interop" && HANDOFF_INTEROP_TOKEN=$TOK timeout 90 node twilio_calls.js "$BASE" "$AC") >"$T/out" 2>"$T/err"
expect_eq "the twilio package ran" "$?" 0
J=$(cat "$T/out")
[ -n "$J" ] || J='{}'
expect_eq "calls.create answers queued, then it is live" "$(jq -r '"\(.created) \(.live)"' <<<"$J")" "queued in-progress"
expect_eq "update({twiml}): the same call, still in progress" "$(jq -c .twimlUpdate <<<"$J")" '{"status":"in-progress","sid":true}'
expect_eq "update({url}): in progress" "$(jq -r .urlUpdate <<<"$J")" in-progress
expect_eq "each update left its stream for the next" "$(jq -c .streams <<<"$J")" \
	'["<Connect> stream opened to wss://agent.example.com/first (name first, track inbound_track, parameters: none); no media is sent","stream first stopped: the call was updated","<Connect> stream opened to wss://agent.example.com/second (name second, track inbound_track, parameters: none); no media is sent","stream second stopped: the call was updated","<Connect> stream opened to wss://agent.example.com/next (name next, track inbound_track, parameters: none); no media is sent"]'
expect_eq "connected to the app's stream" "$(jq -c .connected <<<"$J")" '["caller<->stream"]'
expect_eq "the app got the Url request, signed, with the call's parameters" \
	"$(jq -r '[.hooks[] | select(.path == "/next") | "\(.method) \(.valid) \(.status)"] | join(",")' <<<"$J")" "POST true in-progress"
expect_eq "canceled on a live call: RestException 21220/400" "$(jq -c .cancelLive <<<"$J")" '{"code":21220,"status":400}'
expect_eq "remove() of a live call: 21220/400" "$(jq -c .removeLive <<<"$J")" '{"code":21220,"status":400}'
expect_eq "a bad Url: 21205/400" "$(jq -c .badUrl <<<"$J")" '{"code":21205,"status":400}'
expect_eq "a bad Status: 20001/400" "$(jq -c .badStatus <<<"$J")" '{"code":20001,"status":400}'
expect_eq "update({status: completed}) hangs up" "$(jq -c .hungUp <<<"$J")" '{"status":"completed","duration":"string","endTime":true}'
expect_eq "TwiML on an ended call: 21220/400" "$(jq -c .twimlAfter <<<"$J")" '{"code":21220,"status":400}'
expect_eq "a Url on an ended call: 21220/400" "$(jq -c .urlAfter <<<"$J")" '{"code":21220,"status":400}'
expect_eq "remove() of an ended call: true (204)" "$(jq -c .removed <<<"$J")" '{"accepted":true}'
expect_eq "fetch() after remove(): 20404/404" "$(jq -c .fetchRemoved <<<"$J")" '{"code":20404,"status":404}'
expect_eq "fetch() of an unknown call: 20404/404" "$(jq -c .fetchUnknown <<<"$J")" '{"code":20404,"status":404}'
expect_eq "create with a bad To: 21211/400" "$(jq -c .badTo <<<"$J")" '{"code":21211,"status":400}'
expect_eq "a ringing call is canceled" "$(jq -r '"\(.ringing) \(.canceled)"' <<<"$J")" "ringing canceled"
expect_eq "canceled twice: 21220/400" "$(jq -c .cancelAgain <<<"$J")" '{"code":21220,"status":400}'
expect_eq "its callbacks: initiated, ringing, then canceled" "$(jq -r '.ringCallbacks | join(",")' <<<"$J")" "initiated,ringing,canceled"
expect_eq "a busy party: the call ends busy" "$(jq -r .busy <<<"$J")" busy
expect_eq "no call ever fetched /never" "$(jq '[.hooks[] | select(.path == "/never")] | length' <<<"$J")" 0
expect_eq "every webhook validated" "$(jq '[.hooks[] | select(.valid | not)] | length' <<<"$J")" 0
[ "$FAIL" -eq 0 ] || echo "node stderr: $(head -5 "$T/err")"
stop_emulator
expect_eq "emulator exits 0" "$?" 0
finish
