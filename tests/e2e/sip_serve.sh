# sip_serve.sh: `handoff serve` behind the emulator, everything over real SIP on loopback, UDP
# and TCP: a SIPp caller INVITEs the number, the emulator fetches serve's /voice, rings the
# SIPp agent serve names, the agent REFERs to sip:billing@..., serve's /refer answers
# billing's TwiML and the emulator rings billing's SIPp desk with billing's headers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
export TWILIO_AUTH_TOKEN=$TOK HANDOFF_DB="$T/handoff.db"
start_sip_emulator
SPID=""
CLEANUP+=('[ -n "$SPID" ] && kill "$SPID" 2>/dev/null')

for TR in u1 t1; do
	tp=udp
	[ "$TR" = t1 ] && tp=tcp
	A=$(sip_port) B=$(sip_port) SPORT=$(free_port)
	SBASE=http://127.0.0.1:$SPORT
	"$HANDOFF" dest add "billing-$tp" --route "sip:billing@127.0.0.1:$B;transport=$tp" \
		--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null 2>&1
	"$HANDOFF" promote --message "$tp" >/dev/null 2>&1
	"$HANDOFF" serve --listen "127.0.0.1:$SPORT" --public-url "$SBASE" \
		--agent "sip:agent@127.0.0.1:$A;transport=$tp" 2>>"$T/serve.log" &
	SPID=$!
	wait_http "$SBASE/healthz" 15 || { not_ok "serve did not start" "$(tail -5 "$T/serve.log")"; break; }
	N=1415555020$([ "$tp" = tcp ] && echo 2 || echo 1)
	number "+$N" VoiceUrl="$SBASE/voice"

	sipp_bg desk target_answer.xml "$B" "$TR"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:billing-$tp@agent.example.com?X-Reason=upsell" -key target answer
	sipp_listen "$A" "$TR"
	sipp_listen "$B" "$TR"
	sipp_bg caller caller.xml "$(sip_port)" "$TR" -s "$N" "$SIP"
	sipp_done agent
	expect_eq "$TR: the agent serve names was rung, REFERed, was let go when billing answered" "$R" \
		"rc=0 INVITE sip:agent@127.0.0.1:$A;transport=$tp|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	P=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE/2010-04-01/Accounts/$AC/Calls.json?PageSize=1000" |
		jq -r --arg n "+$N" '[.calls[] | select(.parent_call_sid == null and .to == $n)][0].sid')
	wait_leg "$P" B in-progress 10
	expect_eq "$TR: the SIP caller's call: inbound, bridged to billing" \
		"$(leg P direction) $(leg P status) $(leg P from) $(jq -c .connected <<<"$J")" "inbound in-progress +14155550100 [\"B<->caller\"]"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done desk
	expect_eq "$TR: billing's desk got billing's headers" "$(cut -d'|' -f1-3,6 <<<"$R")" \
		"rc=0 INVITE sip:billing@127.0.0.1:$B;transport=$tp|X-Caller: +14155550100|X-Reason: upsell|BYE"
	sipp_done caller
	expect_eq "$TR: the caller was answered, then got BYE" "$R" "rc=0 ANSWERED|BYE"
	log=$(cat "$T/serve.log")
	expect_match "$TR: serve answered /voice and /refer (billing, signatures accepted)" "$log" \
		"POST /refer 200 .*call=$P .*dest=billing-$tp"
	expect_no_match "$TR: serve refused nothing" "$log" ' 403 '
	events "$P"
	expect_eq "$TR: the caller's own INVITE and its answers are the first SIP messages of the timeline" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "P") | "\(.sip.dir):\(.sip.method // .sip.status)"][:4] | join(" ")' <<<"$EV")" \
		"in:INVITE out:180 out:200 in:ACK"
	expect_eq "$TR: the caller's INVITE comes before the Voice URL webhook" \
		"$(jq -r '[.[] | select(.kind == "sip" or .kind == "webhook")][0:1][] | .sip.method' <<<"$EV")" INVITE
	kill -TERM "$SPID"
	wait "$SPID"
	expect_eq "$TR: serve exits 0" "$?" 0
	SPID=""
done

stop_emulator
expect_eq "the emulator exits 0 (no leak under ASan)" "$?" 0
sanitizer_clean
finish
