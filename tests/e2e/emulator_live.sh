# emulator_live.sh: the whole chain over loopback with the real binaries: `handoff serve`
# with destinations, `handoff emulator` with a number wired to its /voice, a call, a REFER to
# billing (bridged, headers rendered), a REFER to an unknown name (404, re-established), and
# a failover destination whose route is busy: the caller bridged to the second route.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"
SERVE_TOKEN=$TWILIO_AUTH_TOKEN
. "$(dirname "$0")/helpers/emulator.sh"
# one token: the emulator signs with it, the server checks with it
TOK=$SERVE_TOKEN
export TWILIO_AUTH_TOKEN=$SERVE_TOKEN

"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null 2>&1
"$HANDOFF" dest add billing-ha --route 'sip:billing@pbx1.example.com' \
	--failover 'sip:billing@pbx2.example.com' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null 2>&1
"$HANDOFF" promote --message e2e >/dev/null 2>&1
SPORT=$(free_port)
SBASE="http://127.0.0.1:$SPORT"
"$HANDOFF" serve --listen "127.0.0.1:$SPORT" --public-url "$SBASE" --agent 'sip:agent@pbx.example.com' \
	2>>"$T/serve.log" &
SERVER_PID=$!
wait_http "$SBASE/healthz" 15 || { not_ok "server did not start" "$(tail -5 "$T/serve.log")"; finish; exit 1; }
start_emulator
unset TWILIO_API_BASE

N=$(api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json" PhoneNumber=+14155550199 VoiceUrl="$SBASE/voice")
expect_eq "number provisioned with the server's /voice" "$(jq -r .voice_url <<<"$N")" "$SBASE/voice"

# ctl METHOD PATH [NAME=VALUE...]: the control endpoints; status in $STATUS, JSON in $J
ctl() {
	local m=$1 p=$2 args=()
	shift 2
	for a in "$@"; do args+=(--data-urlencode "$a"); done
	STATUS=$(curl -s -o "$T/ctl.json" -w '%{http_code}' --max-time 40 -X "$m" "${args[@]}" "$BASE$p")
	J=$(cat "$T/ctl.json")
}
leg() { jq -r --arg l "$1" --arg f "$2" '.legs[] | select(.label == $l) | .[$f] | tostring' <<<"$J"; }

# --- a call, then a REFER to billing that the target answers ---
ctl POST /emulator/calls From=+14155550100 To=+14155550199
expect_eq "call created" "$STATUS" 201
P=$(jq -r .sid <<<"$J")
A=$(leg A sid)
expect_match "the caller's leg is a CallSid" "$P" '^CA[0-9a-f]{32}$'
expect_eq "caller in progress (the agent answered)" "$(leg P status) $(leg P direction)" "in-progress inbound"
expect_eq "agent leg dialled from the server's TwiML" "$(leg A to) $(leg A status) $(leg A direction)" \
	"sip:agent@pbx.example.com in-progress outbound-dial"
expect_eq "agent leg's parent is the caller" "$(leg A parent_call_sid)" "$P"
expect_eq "caller bridged to the agent" "$(jq -c .connected <<<"$J")" '["agent<->caller"]'

ctl POST "/emulator/calls/$A/refer" 'ReferTo=<sip:billing@agent.example.com?X-Reason=upsell>' Target=answer
expect_eq "refer answered" "$STATUS" 200
expect_eq "REFER's SIP answer" "$(jq .sip_response <<<"$J")" 202
expect_eq "NOTIFY sipfrags in order" "$(jq -c .notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 200 OK"]'
expect_eq "caller bridged to billing" "$(jq -c .connected <<<"$J")" '["B<->caller"]'
expect_eq "agent got BYE" "$(leg A status)" completed
expect_eq "billing leg answered" "$(leg B status) $(leg B direction)" "in-progress outbound-dial"
expect_eq "billing leg's route and rendered headers" "$(leg B to)" \
	"sip:billing@pbx.example.com?X-Caller=%2B14155550100&X-Reason=upsell"
expect_eq "billing leg's parent is the caller" "$(leg B parent_call_sid)" "$P"
expect_eq "caller still in progress" "$(leg P status)" in-progress
B=$(leg B sid)

ctl GET "/emulator/calls/$P/events"
EV=$J
expect_eq "timeline readable" "$STATUS" 200
expect_eq "the billing target received the SIP headers" \
	"$(jq -r '.[] | select(.kind == "sip" and .leg == "B") | .text' <<<"$EV")" \
	"INVITE sip:billing@pbx.example.com with headers X-Caller: +14155550100; X-Reason: upsell"
expect_eq "two webhooks, both signed" \
	"$(jq -r '[.[] | select(.kind == "webhook" and (.signature | length) == 28) | .text] | join("|")' <<<"$EV")" \
	"Voice URL POST $SBASE/voice|referUrl POST $SBASE/refer"
expect_eq "both answered 200" "$(jq -r '[.[] | select(.kind == "answer") | .code] | join(",")' <<<"$EV")" "200,200"
expect_eq "referUrl carried the Refer-To exactly" \
	"$(jq -r '.[] | select(.kind == "webhook" and (.text | startswith("referUrl"))) | .params.ReferTransferTarget' <<<"$EV")" \
	"<sip:billing@agent.example.com?X-Reason=upsell>"
expect_eq "no error in the timeline" "$(jq '[.[] | select(.kind == "error")] | length' <<<"$EV")" 0
log=$(server_log)
expect_match "server answered /voice (signature accepted)" "$log" "POST /voice 200 .*call=$P dest=agent"
expect_match "server answered /refer with billing, live v1" "$log" "POST /refer 200 .*call=$P .*dest=billing version=1"
expect_no_match "server refused nothing" "$log" ' 403 '

# the legs as Call resources of the REST twin
C=$(api GET "/2010-04-01/Accounts/$AC/Calls.json" ParentCallSid="$P")
expect_eq "two child calls listed" "$(jq -r '[.calls[].sid] | sort | join(",")' <<<"$C")" "$(printf '%s\n' "$A" "$B" | sort | paste -sd,)"
expect_eq "their statuses" "$(jq -r --arg a "$A" '.calls[] | select(.sid == $a) | .status' <<<"$C")" completed

ctl POST "/emulator/calls/$P/hangup"
expect_eq "caller hangs up" "$STATUS $(leg P status) $(leg B status)" "200 completed completed"
expect_eq "nobody connected" "$(jq -c .connected <<<"$J")" '[]'

# --- a REFER to a name the server does not know: 404, caller back with the agent ---
ctl POST /emulator/calls From=+14155550100 To=+14155550199
P2=$(jq -r .sid <<<"$J")
A2=$(leg A sid)
ctl POST "/emulator/calls/$A2/refer" 'ReferTo=<sip:nobody@agent.example.com>' Target=answer
expect_eq "unknown name: REFER still 202" "$(jq .sip_response <<<"$J")" 202
expect_eq "unknown name: NOTIFY 503" "$(jq -c .notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 503 Service Unavailable"]'
expect_eq "unknown name: caller re-established with the agent" "$(jq -c .connected <<<"$J")" '["agent<->caller"]'
expect_eq "unknown name: agent and caller still up" "$(leg A status) $(leg P status)" "in-progress in-progress"
expect_eq "unknown name: no new leg" "$(jq '.legs | length' <<<"$J")" 2
ctl GET "/emulator/calls/$P2/events"
expect_match "the 404 is 11217 in the timeline" \
	"$(jq -r '.[] | select(.kind == "error") | "\(.code) \(.text)"' <<<"$J")" "^11217 referUrl $SBASE/refer: HTTP status 404"
expect_match "server says why" "$(server_log)" "POST /refer 404 .*call=$P2"

# --- a busy billing target: NOTIFY 486, caller back with the agent ---
ctl POST "/emulator/calls/$A2/refer" 'ReferTo=<sip:billing@agent.example.com>' Target=busy
expect_eq "busy target: NOTIFY 486" "$(jq -c .notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 486 Busy Here"]'
expect_eq "busy target: B busy, caller with the agent" "$(leg B status) $(jq -c .connected <<<"$J")" 'busy ["agent<->caller"]'

# --- an unknown call and a bad Target ---
ctl POST "/emulator/calls/CA00000000000000000000000000000000/refer" 'ReferTo=<sip:billing@x>'
expect_eq "refer on an unknown leg: 404" "$STATUS" 404
ctl POST "/emulator/calls/$A2/refer" 'ReferTo=<sip:billing@x>' Target=maybe
expect_eq "bad Target: 400" "$STATUS $(jq .code <<<"$J")" "400 20001"

# --- a failover destination: its route busy, the second route answers ---
ctl POST /emulator/calls From=+14155550100 To=+14155550199
P3=$(jq -r .sid <<<"$J")
A3=$(leg A sid)
ctl POST "/emulator/calls/$A3/refer" 'ReferTo=<sip:billing-ha@agent.example.com?X-Reason=outage>' Target=busy,answer
expect_eq "failover: refer answered" "$STATUS $(jq .sip_response <<<"$J")" "200 202"
expect_eq "failover: NOTIFY 100 then 200" "$(jq -c .notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 200 OK"]'
expect_eq "failover: the route's leg busy" "$(leg B status) $(leg B to)" \
	"busy sip:billing@pbx1.example.com?X-Caller=%2B14155550100&X-Reason=outage"
expect_eq "failover: the second route's leg answered" "$(leg C status) $(leg C to)" \
	"in-progress sip:billing@pbx2.example.com?X-Caller=%2B14155550100&X-Reason=outage"
expect_eq "failover: both are child legs of the caller" "$(leg B parent_call_sid) $(leg C parent_call_sid)" "$P3 $P3"
expect_eq "failover: the caller bridged to the second route" "$(jq -c .connected <<<"$J")" '["C<->caller"]'
expect_eq "failover: the agent got BYE" "$(leg A status)" completed
ctl GET "/emulator/calls/$P3/events"
expect_eq "failover: the order tried" \
	"$(jq -r '.[] | select(.kind == "dial" and (.text | startswith("<Sip> with"))) | .text' <<<"$J")" \
	"<Sip> with 2 <Uri>, tried in this order: 1. sip:billing@pbx1.example.com?X-Caller=%2B14155550100&X-Reason=outage (priority 1, weight 10) 2. sip:billing@pbx2.example.com?X-Caller=%2B14155550100&X-Reason=outage (priority 2, weight 10)"
expect_eq "failover: the INVITEs and their headers" \
	"$(jq -r '.[] | select(.kind == "sip" and (.leg == "B" or .leg == "C") and (.text | startswith("INVITE"))) | "\(.leg) \(.text)"' <<<"$J")" \
	"B INVITE sip:billing@pbx1.example.com with headers X-Caller: +14155550100; X-Reason: outage
C INVITE sip:billing@pbx2.example.com with headers X-Caller: +14155550100; X-Reason: outage"
expect_eq "failover: the route's busy moved on" \
	"$(jq -r '.[] | select(.kind == "dial" and .leg == "B") | "\(.code) \(.text)"' <<<"$J")" \
	"486 <Uri> 1 of 2 busy (486 Busy Here): trying the next"
expect_eq "failover: no error" "$(jq '[.[] | select(.kind == "error")] | length' <<<"$J")" 0
expect_match "server answered /refer with billing-ha" "$(server_log)" "POST /refer 200 .*call=$P3 .*dest=billing-ha version=1"

# what the server answers for it, asked directly (signed as Twilio signs)
args=(From=+14155550100 To=+14155550199 CallSid="$P3" 'ReferTransferTarget=<sip:billing-ha@agent.example.com?X-Reason=outage>')
sig=$("$HANDOFF" sig sign --url "$SBASE/refer" "${args[@]}")
form=()
for a in "${args[@]}"; do form+=(--data-urlencode "$a"); done
curl -s -o "$T/ha.xml" --max-time 10 -H "X-Twilio-Signature: $sig" "${form[@]}" "$SBASE/refer"
expect_eq "failover: the server answers one <Uri> per route, each with the headers" \
	"$(grep -o '<Uri .*</Uri>' "$T/ha.xml")" \
	'<Uri priority="1">sip:billing@pbx1.example.com?X-Caller=%2B14155550100&amp;X-Reason=outage</Uri>
<Uri priority="2">sip:billing@pbx2.example.com?X-Caller=%2B14155550100&amp;X-Reason=outage</Uri>'

# --- every route busy: NOTIFY 486, the caller back with the agent ---
ctl POST /emulator/calls From=+14155550100 To=+14155550199
A4=$(leg A sid)
ctl POST "/emulator/calls/$A4/refer" 'ReferTo=<sip:billing-ha@agent.example.com>' Target=busy
expect_eq "all busy: NOTIFY 486" "$(jq -c .notify <<<"$J")" '["SIP/2.0 100 Trying","SIP/2.0 486 Busy Here"]'
expect_eq "all busy: both routes busy" "$(leg B status) $(leg C status)" "busy busy"
expect_eq "all busy: caller back with the agent" "$(jq -c .connected <<<"$J")" '["agent<->caller"]'
ctl POST "/emulator/calls/$A4/refer" 'ReferTo=<sip:billing-ha@x>' Target=busy,,answer
expect_eq "a bad Target list: 400" "$STATUS $(jq .code <<<"$J")" "400 20001"

stop_emulator
expect_eq "emulator exits 0 (no leak under ASan)" "$?" 0
stop_server
expect_eq "server exits 0" "$STOP_RC" 0
finish
