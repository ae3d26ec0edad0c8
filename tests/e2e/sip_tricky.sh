# sip_tricky.sh: what users' SIP stacks do that a transfer must survive, over real SIP: a
# transferor that BYEs right after the 202, one that answers the final NOTIFY with 481, a
# REFER over TCP on the INVITE's own connection, a Refer-To over 256 characters, an
# attended transfer (Replaces), a REFER without Refer-To, a second REFER while the first
# runs; and what the answers say.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
start_app
start_sip_emulator
number +14155550199 VoiceUrl="$APP/voice"
voice() { # TP: the /voice answer ringing the agent at $A, answerOnBridge="true"
	app voice "<Response><Dial answerOnBridge=\"true\" referUrl=\"/refer\"><Sip>sip:agent@127.0.0.1:$A;transport=$1</Sip></Dial></Response>"
}
call() {
	ctl POST /emulator/calls From=+14155550100 To=+14155550199
	P=$(jq -r .sid <<<"$J")
	expect_eq "$1: the agent answered" "$(leg A status)" in-progress
}

for TR in u1 t1; do
	tp=udp
	[ "$TR" = t1 ] && tp=tcp

	# --- the transferor BYEs right after the 202: the transfer goes on ---
	A=$(sip_port) B=$(sip_port)
	voice "$tp"
	app refer "<Response><Dial><Sip>sip:desk@127.0.0.1:$B;transport=$tp</Sip></Dial></Response>"
	sipp_bg target target_answer.xml "$B" "$TR"
	sipp_bg agent agent_bye202.xml "$A" "$TR" -key refer_to "sip:desk@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"
	sipp_listen "$B" "$TR"
	call "$TR bye-after-202"
	sipp_done agent
	expect_eq "$TR bye-after-202: 202, its BYE answered, NOTIFY 100 answered 481, nothing more" \
		"$(cut -d'|' -f2- <<<"$R")" "ANSWER 202|NOTIFY SIP/2.0 100 Trying active|BYE_200"
	wait_leg "$P" B in-progress 10
	expect_eq "$TR bye-after-202: the caller bridged to the target all the same" \
		"$(leg A status) $(leg B status) $(jq -c .connected <<<"$J")" 'completed in-progress ["B<->caller"]'
	events "$P"
	expect_eq "$TR bye-after-202: the final NOTIFY and the BYE were modelled, not sent (dead dialog)" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "A" and .sip.dir == "out" and (.sip.method == "NOTIFY" or .sip.method == "BYE")) | "\(.sip.method):\(.sip.wire)"] | join(" ")' <<<"$EV")" \
		"NOTIFY:true NOTIFY:false BYE:false"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done target

	# --- the final NOTIFY answered 481: the subscription is over, the BYE still comes ---
	A=$(sip_port) B=$(sip_port)
	voice "$tp"
	app refer "<Response><Dial><Sip>sip:desk@127.0.0.1:$B;transport=$tp</Sip></Dial></Response>"
	sipp_bg target target_answer.xml "$B" "$TR"
	sipp_bg agent agent_final481.xml "$A" "$TR" -key refer_to "sip:desk@127.0.0.1:$B" -key target answer
	sipp_listen "$A" "$TR"
	sipp_listen "$B" "$TR"
	call "$TR final-481"
	sipp_done agent
	expect_eq "$TR final-481: NOTIFY 100, NOTIFY 200 (answered 481), then BYE" "$(cut -d'|' -f2- <<<"$R")" \
		"ANSWER 202|NOTIFY SIP/2.0 100 Trying active|NOTIFY SIP/2.0 200 OK terminated|BYE"
	events "$P"
	expect_eq "$TR final-481: the 481 is in the timeline, then the BYE" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "A" and (.sip.cseq_method == "NOTIFY" or .sip.method == "BYE") and .sip.wire) | "\(.sip.dir):\(.sip.method // .sip.status)"] | join(" ")' <<<"$EV")" \
		"out:NOTIFY in:200 out:NOTIFY in:481 out:BYE"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done target

	# --- a Refer-To over 256 characters: 400 (modelled), the call unchanged ---
	A=$(sip_port)
	voice "$tp"
	long="sip:$(printf 'a%.0s' $(seq 1 300))@127.0.0.1"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "$long" -key target answer
	sipp_listen "$A" "$TR"
	call "$TR long Refer-To"
	for i in $(seq 50); do grep -q ANSWER "$T/sipp-agent/agent.log" 2>/dev/null && break; sleep 0.1; done
	events "$P"
	expect_eq "$TR long Refer-To: the rule answered" \
		"$(jq -r '[.[] | select(.kind == "modelled") | .text | split(" ")[0]] | join(",")' <<<"$EV")" "voice.refer-to-too-long=400"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done agent
	expect_eq "$TR long Refer-To: REFER 400, no NOTIFY, the BYE when the caller hung up" "$(cut -d'|' -f2- <<<"$R")" "ANSWER 400|BYE"

	# --- Replaces (an attended transfer): not supported, 501 (modelled) ---
	A=$(sip_port)
	voice "$tp"
	sipp_bg agent agent.xml "$A" "$TR" -key refer_to "sip:desk@127.0.0.1?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2" -key target answer
	sipp_listen "$A" "$TR"
	call "$TR Replaces"
	for i in $(seq 50); do grep -q ANSWER "$T/sipp-agent/agent.log" 2>/dev/null && break; sleep 0.1; done
	events "$P"
	expect_eq "$TR Replaces: unsupported, the rule answered, no webhook" \
		"$(jq -r '[.[] | select(.kind == "unsupported" or .kind == "modelled" or (.kind == "webhook" and (.text | startswith("referUrl")))) | .text | split(" ")[0]] | join(",")' <<<"$EV")" \
		"REFER,sip.refer-replaces-response=501"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done agent
	expect_eq "$TR Replaces: REFER 501" "$(cut -d'|' -f2- <<<"$R")" "ANSWER 501|BYE"

	# --- the REFER arrives on the INVITE's own TCP connection, and everything goes back on it ---
	if [ "$TR" = t1 ]; then
		A=$(sip_port) B=$(sip_port)
		voice tcp
		app refer "<Response><Dial><Sip>sip:desk@127.0.0.1:$B;transport=tcp</Sip></Dial></Response>"
		sipp_bg target target_answer.xml "$B" t1
		sipp_bg agent agent.xml "$A" t1 -key refer_to "sip:desk@127.0.0.1:$B" -key target answer
		sipp_listen "$A" t1
		sipp_listen "$B" t1
		call "TCP connection"
		sipp_done agent
		events "$P"
		expect_eq "TCP connection: one connection for the whole dialog (INVITE, REFER, 202, NOTIFYs, BYE)" \
			"$(jq -r '[.[] | select(.kind == "sip" and .leg == "A" and .sip.wire) | "\(.sip.transport) \(.sip.local) \(.sip.remote)"] | unique | length' <<<"$EV")" 1
		expect_eq "TCP connection: the emulator's end is not its listening port (it is the INVITE's)" \
			"$(jq -r '[.[] | select(.kind == "sip" and .leg == "A" and .sip.method == "REFER") | .sip.local != "'"$SIP"'" and .sip.remote == "127.0.0.1:'"$A"'"] | join(",")' <<<"$EV")" true
		ctl POST "/emulator/calls/$P/hangup"
		sipp_done target
	fi
done

stop_emulator
expect_eq "the emulator exits 0 (no leak under ASan)" "$?" 0
sanitizer_clean
finish
