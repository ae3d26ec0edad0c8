# simulate_live.sh: flows against a live app: the real `handoff serve` on a loopback port,
# reached through the engine's live fetcher (libcurl) with X-Twilio-Signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' --header 'X-Reason: $refer.X-Reason' >/dev/null 2>&1
"$HANDOFF" promote --message e2e >/dev/null 2>&1
# --public-url must name the server's own port, so the port is chosen first
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$HANDOFF" serve --listen "127.0.0.1:$PORT" --public-url "$BASE" --agent 'sip:agent@pbx.example.com' \
	2>>"$T/serve.log" &
SERVER_PID=$!
CLEANUP+=("kill $SERVER_PID 2>/dev/null")
wait_http "$BASE/healthz" 15 || { not_ok "server did not start" "$(tail -5 "$T/serve.log")"; finish; exit 1; }

flow() { # FILE REFER_TO TARGET NOTIFY CONNECTED B_STATUS
	cat >"$1" <<JSON
{"name": "live: $2 $3", "profile": "twilio-voice", "app_url": "$BASE",
 "call": {"from": "+14155550100", "to": "+14155550199", "voice_url": "/voice"},
 "steps": [{"refer": "A", "refer_to": "$2", "target": "$3",
            "expect": {"sip_response": 202, "notify": $4, "connected": $5}}],
 "expect": {"legs": {"A": {"to": "sip:agent@pbx.example.com"}$6},
            "events": [{"kind": "webhook", "text": "referUrl POST $BASE/refer", "signature": true}]}}
JSON
}

flow "$T/ok.json" '<sip:billing@agent.example.com?X-Reason=upsell>' answer '[100, 200]' '["caller<->B"]' \
	', "B": {"status": "in-progress", "to": "sip:billing@pbx.example.com?X-Reason=upsell"}'
expect_exit "a live transfer passes (signed webhooks accepted)" 0 "$HANDOFF" simulate "$T/ok.json"
expect_eq "one flow passed" "$(tail -1 "$T/out")" "1 passed, 0 failed"

flow "$T/busy.json" '<sip:billing@agent.example.com>' busy '[100, 486]' '["caller<->agent"]' ', "B": "busy"'
expect_exit "live: busy target, caller back with the agent (answerOnBridge=true from serve)" 0 \
	"$HANDOFF" simulate "$T/busy.json"

flow "$T/nodest.json" '<sip:nobody@agent.example.com>' answer '[100, 503]' '["caller<->agent"]' ''
expect_exit "live: no destination -> 404 -> 11217, caller re-established" 0 "$HANDOFF" simulate "$T/nodest.json"
expect_exit "the 11217 is in the timeline" 0 "$HANDOFF" simulate --verbose "$T/nodest.json"
expect_match "11217 shown" "$(cat "$T/out")" 'error +11217 referUrl http://127.0.0.1:[0-9]+/refer: HTTP status 404'

# the wrong token: the server refuses (403), the flow fails and says so
export WRONG_TOKEN=not-the-token
expect_exit "a wrong token fails the flow" 1 "$HANDOFF" simulate --token-env WRONG_TOKEN "$T/ok.json"
expect_match "the failure is explained" "$(cat "$T/out")" 'step 1: no leg to REFER on'
expect_match "403 counted as 11217" "$("$HANDOFF" simulate --verbose --token-env WRONG_TOKEN "$T/ok.json")" 'error +11217 Voice URL .*HTTP status 403'

# an unreachable app: 11200-class codes, no hang
port2=$(free_port)
sed "s#$BASE#http://127.0.0.1:$port2#g" "$T/ok.json" >"$T/down.json"
expect_exit "an unreachable app fails the flow" 1 timeout 20 "$HANDOFF" simulate --verbose "$T/down.json"
expect_match "connection refused is 11202" "$(cat "$T/out")" 'error +1120[0-9] Voice URL'

finish
