# sip_transfer.sh: Programmable Voice transfers over real SIP, each over UDP and TCP: the
# emulator rings a SIPp agent for real, the agent sends a real REFER, the referUrl (a
# stand-in app) answers, and a SIPp target answers, is busy, or the transfer fails; a chained
# transfer from the new party. What SIPp received is checked against the model and the
# emulator's timeline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
start_app
start_sip_emulator
number +14155550199 VoiceUrl="$APP/voice"

# dial_agent TP AOB REFERURL: the /voice answer ringing the SIPp agent at $A (REFERURL ""
# for none)
dial_agent() {
	local tp=$1 aob=$2 ru=${3:+ referUrl=\"$3\"}
	app voice "<Response><Dial answerOnBridge=\"$aob\"$ru><Sip>sip:agent@127.0.0.1:$A;transport=$tp</Sip></Dial></Response>"
}
# start_call: a caller dials the number; the agent must be rung and answer. Sets P, ALEG.
start_call() {
	ctl POST /emulator/calls From=+14155550100 To=+14155550199
	P=$(jq -r .sid <<<"$J")
	ALEG=$(leg A sid)
	expect_eq "$1: the agent was rung over SIP and answered" "$STATUS $(leg A status) $(leg P status)" \
		"201 in-progress in-progress"
}
hangup() { ctl POST "/emulator/calls/$1/hangup"; }

for TR in u1 t1; do
	tp=udp
	[ "$TR" = t1 ] && tp=tcp

	# --- referUrl answered, the target answers (answerOnBridge="true") ---
	A=$(sip_port) B=$(sip_port)
	dial_agent "$tp" true /refer
	app refer "<Response><Dial><Sip>sip:target@127.0.0.1:$B;transport=$tp?X-Caller=%2B14155550100&amp;X-Reason=upsell</Sip></Dial></Response>"
	sipp_bg target target_answer.xml "$B" "$TR"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"; sipp_listen "$B" "$TR"
	start_call "$TR answer"
	sipp_done agent; out=$R
	expect_eq "$TR answer: the agent got 202, NOTIFY 100 (active), 200 (terminated), BYE" "$out" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE" ||
		sipp_why agent
	ctl GET "/emulator/calls/$P"
	expect_eq "$TR answer: agent completed, the target bridged to the caller" \
		"$(leg A status) $(leg B status) $(jq -c .connected <<<"$J")" 'completed in-progress ["B<->caller"]'
	hangup "$P"
	sipp_done target; out=$R
	expect_eq "$TR answer: the target got the destination's headers, then BYE when the caller hung up" "$out" \
		"rc=0 INVITE sip:target@127.0.0.1:$B;transport=$tp|X-Caller: +14155550100|X-Reason: upsell|X-Account:|User-to-User:|BYE"
	events "$P"
	expect_eq "$TR answer: the REFER in the timeline, as received" \
		"$(jq -r '[.[] | select(.kind == "sip" and .sip.method == "REFER") | .sip | .dir, .from, .to, .cseq, .wire, .transport, .headers."Refer-To", .headers."X-Handoff-Id"] | join(" ")' <<<"$EV")" \
		"in agent twilio 101 true $tp <sip:billing@127.0.0.1:$B> hx-42"
	expect_eq "$TR answer: the referUrl got the Refer-To and the REFER's X- headers (not X-Emulator-Target)" \
		"$(jq -r '.[] | select(.kind == "webhook" and (.text | startswith("referUrl"))) | [.params.ReferTransferTarget, .params."SipHeader_X-Handoff-Id", (.params."SipHeader_X-Emulator-Target" // "none")] | join(" ")' <<<"$EV")" \
		"<sip:billing@127.0.0.1:$B> hx-42 none"
	expect_eq "$TR answer: every modelled SIP message crossed the wire" \
		"$(jq -r '[.[] | select(.kind == "sip") | .sip.wire] | unique | join(",")' <<<"$EV")" "true"
	expect_eq "$TR answer: the NOTIFYs as sent, in order" \
		"$(jq -r '[.[] | select(.kind == "sip" and .sip.method == "NOTIFY") | .sip | "\(.headers.Event) \(.headers."Subscription-State") \(.body | rtrimstr("\r\n"))"] | join("|")' <<<"$EV")" \
		"refer;id=101 active;expires=60 SIP/2.0 100 Trying|refer;id=101 terminated;reason=noresource SIP/2.0 200 OK"
	expect_eq "$TR answer: the target's INVITE carried the headers, to B" \
		"$(jq -r '.[] | select(.kind == "sip" and .leg == "B" and .sip.method == "INVITE") | .sip | "\(.from) \(.to) \(.headers."X-Caller") \(.headers."X-Reason") \(.wire)"' <<<"$EV")" \
		"twilio B +14155550100 upsell true"
	expect_eq "$TR answer: the ladder's order on the agent's dialog" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "A") | .sip | "\(.dir):\(.method // .status)"] | join(" ")' <<<"$EV")" \
		"out:INVITE in:180 in:200 out:ACK in:REFER out:202 out:NOTIFY in:200 out:NOTIFY in:200 out:BYE in:200"

	# --- the target busy, answerOnBridge="true": the caller goes back to the agent ---
	A=$(sip_port) B=$(sip_port)
	dial_agent "$tp" true /refer
	app refer "<Response><Dial><Sip>sip:target@127.0.0.1:$B;transport=$tp</Sip></Dial></Response>"
	sipp_bg target target_busy.xml "$B" "$TR"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"; sipp_listen "$B" "$TR"
	start_call "$TR busy/aob"
	wait_leg "$P" B busy 10
	expect_eq "$TR busy/aob: B busy, the caller back with the agent" \
		"$(leg B status) $(leg A status) $(jq -c .connected <<<"$J")" 'busy in-progress ["agent<->caller"]'
	sipp_done target
	expect_eq "$TR busy/aob: the target answered 486" "$R" "rc=0 INVITE sip:target@127.0.0.1:$B;transport=$tp|ACK"
	hangup "$P"
	sipp_done agent
	expect_eq "$TR busy/aob: NOTIFY 486, no BYE until the caller hung up" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 486 Busy Here terminated|BYE"
	events "$P"
	expect_eq "$TR busy/aob: B's leg: INVITE, 100 absorbed, 486, ACK" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "B") | .sip | "\(.dir):\(.method // .status)"] | join(" ")' <<<"$EV")" \
		"out:INVITE in:100 in:486 out:ACK"

	# --- the target busy, answerOnBridge="false": the agent is gone at once, the Dial ends busy ---
	A=$(sip_port) B=$(sip_port)
	dial_agent "$tp" false /refer
	app refer "<Response><Dial><Sip>sip:target@127.0.0.1:$B;transport=$tp</Sip></Dial></Response>"
	sipp_bg target target_busy.xml "$B" "$TR"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"; sipp_listen "$B" "$TR"
	start_call "$TR busy/no-aob"
	sipp_done agent
	expect_eq "$TR busy/no-aob: NOTIFY 200 and BYE right after the webhook" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	sipp_done target
	expect_eq "$TR busy/no-aob: the target answered 486" "$R" "rc=0 INVITE sip:target@127.0.0.1:$B;transport=$tp|ACK"
	wait_leg "$P" P completed 5
	expect_eq "$TR busy/no-aob: the Dial ended busy, the caller's call ended" \
		"$(leg A status) $(leg B status) $(leg P status)" "completed busy completed"

	# --- no referUrl: 13802, 202 and NOTIFY 603, the caller stays with the agent ---
	A=$(sip_port)
	dial_agent "$tp" true ""
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing@pbx.example.com" -key target answer
	sipp_listen "$A" "$TR"
	start_call "$TR no-referurl"
	for i in $(seq 50); do grep -q 'NOTIFY SIP/2.0 603' "$T/sipp-agent/agent.log" 2>/dev/null && break; sleep 0.1; done
	events "$P"
	expect_eq "$TR no-referurl: alert 13802" "$(jq -r '[.[] | select(.kind == "alert") | .code] | join(",")' <<<"$EV")" 13802
	ctl GET "/emulator/calls/$P"
	expect_eq "$TR no-referurl: the caller stays with the agent" "$(leg A status) $(jq -c .connected <<<"$J")" \
		'in-progress ["agent<->caller"]'
	hangup "$P"
	sipp_done agent
	expect_eq "$TR no-referurl: 202, NOTIFY 603 (terminated), BYE only when the caller hung up" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 603 Decline terminated|BYE"

	# --- the referUrl unreachable (answerOnBridge="true"): NOTIFY 503, the caller back ---
	A=$(sip_port) DEAD=$(free_port)
	dial_agent "$tp" true "http://127.0.0.1:$DEAD/refer"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing@pbx.example.com" -key target answer
	sipp_listen "$A" "$TR"
	start_call "$TR unreachable"
	for i in $(seq 50); do grep -q 'NOTIFY SIP/2.0 503' "$T/sipp-agent/agent.log" 2>/dev/null && break; sleep 0.1; done
	events "$P"
	expect_eq "$TR unreachable: 11202 (connection refused) in the timeline" \
		"$(jq -r '[.[] | select(.kind == "error") | .code] | join(",")' <<<"$EV")" 11202
	ctl GET "/emulator/calls/$P"
	expect_eq "$TR unreachable: the caller re-established with the agent" "$(leg A status) $(jq -c .connected <<<"$J")" \
		'in-progress ["agent<->caller"]'
	hangup "$P"
	sipp_done agent
	expect_eq "$TR unreachable: 202, NOTIFY 100, NOTIFY 503" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 503 Service Unavailable terminated|BYE"

	# --- a chained transfer: the new party (itself a SIPp agent) transfers again ---
	A=$(sip_port) B=$(sip_port) C=$(sip_port)
	dial_agent "$tp" true /refer
	app refer "<Response><Dial answerOnBridge=\"true\" referUrl=\"/refer2\"><Sip>sip:second@127.0.0.1:$B;transport=$tp</Sip></Dial></Response>"
	app refer2 "<Response><Dial><Sip>sip:third@127.0.0.1:$C;transport=$tp</Sip></Dial></Response>"
	sipp_bg third target_answer.xml "$C" "$TR"
	sipp_bg second agent.xml "$B" "$TR" -key refer_to "sip:third@127.0.0.1:$C" -key target answer
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:second@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"; sipp_listen "$B" "$TR"; sipp_listen "$C" "$TR"
	start_call "$TR chained"
	sipp_done agent
	expect_eq "$TR chained: the first agent handed over" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	sipp_done second
	expect_eq "$TR chained: the second party answered, transferred, and was let go" "$R" \
		"rc=0 INVITE sip:second@127.0.0.1:$B;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	wait_leg "$P" C in-progress 5
	expect_eq "$TR chained: the third party bridged to the caller" \
		"$(leg A status) $(leg B status) $(leg C status) $(jq -c .connected <<<"$J")" 'completed completed in-progress ["C<->caller"]'
	hangup "$P"
	sipp_done third
	expect_eq "$TR chained: the third party got BYE when the caller hung up" "$(sed 's/|X-.*|BYE/|BYE/' <<<"$R")" \
		"rc=0 INVITE sip:third@127.0.0.1:$C;transport=$tp|BYE"
done

stop_emulator
expect_eq "the emulator exits 0 (no leak under ASan)" "$?" 0
sanitizer_clean
finish
