# sip_trunk.sh: Elastic SIP Trunking and Plivo over real SIP, UDP and TCP: a SIPp PBX calls
# a trunk's number through the emulator and REFERs in that dialog; the trunk's TransferMode
# decides (disable-all refused, enable-all rings a SIPp target for real), the transferor ends
# the held call with its BYE or, when it sends none, the emulator does after the modelled
# wait; a PSTN target not in tel:+E164 form; Plivo's domain rule.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
start_sip_emulator --rule trunk.transferor-bye-wait-s=2
trunk() { api POST /v1/Trunks FriendlyName=e2e TransferMode="$1" | jq -r .sid; }
TK_OFF=$(trunk disable-all)
TK_ON=$(trunk enable-all)
expect_match "two trunks" "$TK_OFF $TK_ON" '^TK[0-9a-f]{32} TK[0-9a-f]{32}$'
number +14155550001 TrunkSid="$TK_OFF"
number +14155550002 TrunkSid="$TK_ON"

# pbx NAME SCENARIO TR NUMBER REFER_TO [TARGET] [RPARAMS]: the PBX calls NUMBER through the
# emulator's SIP address and REFERs to REFER_TO.
pbx() {
	sipp_bg "$1" "$2" "$(sip_port)" "$3" -s "$4" -key refer_to "$5" -key target "${6:-answer}" \
		-key rparams "${7:-}" "$SIP"
}
# pbx_call: P = the call the PBX made last (the newest parent call not seen before; the
# twin lists calls in the order they were made)
SEEN=" "
pbx_call() {
	local all
	all=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE/2010-04-01/Accounts/$AC/Calls.json?PageSize=1000" |
		jq -r '.calls[] | select(.parent_call_sid == null) | .sid')
	P=null
	for s in $all; do
		case "$SEEN" in *" $s "*) ;; *) P=$s SEEN+="$s " ;; esac
	done
}

for TR in u1 t1; do
	tp=udp
	[ "$TR" = t1 ] && tp=tcp

	# --- TransferMode disable-all: 32218, the REFER refused 403 ---
	pbx pbx pbx_bye.xml "$TR" 14155550001 "sip:desk@127.0.0.1:5999"
	sipp_done pbx
	expect_eq "$TR disable-all: answered, REFER 403, the PBX hung up" "$R" "rc=0 ANSWERED|ANSWER 403|BYE_200"
	pbx_call
	events "$P"
	expect_eq "$TR disable-all: 32218 in the timeline" "$(jq -r '[.[] | select(.kind == "error") | .code] | join(",")' <<<"$EV")" 32218
	expect_eq "$TR disable-all: a trunk call, termination, from the PBX" \
		"$(jq -r '[.[] | select(.kind == "call")][0].text' <<<"$EV" | cut -d' ' -f1)" trunking-terminating

	# --- enable-all: the target answers; the transferor BYEs the held call ---
	B=$(sip_port)
	sipp_bg target target_answer.xml "$B" "$TR"
	sipp_listen "$B" "$TR"
	pbx pbx pbx_bye.xml "$TR" 14155550002 "sip:desk@127.0.0.1:$B;transport=$tp"
	sipp_done pbx
	expect_eq "$TR enable-all: 202, NOTIFY 100, 200, then the transferor's BYE" "$R" \
		"rc=0 ANSWERED|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE_200"
	pbx_call
	wait_leg "$P" P completed 5
	expect_eq "$TR enable-all: the held call ended, the target bridged" \
		"$(leg P status) $(leg B status) $(jq -c .connected <<<"$J")" 'completed in-progress ["B<->caller"]'
	events "$P"
	expect_eq "$TR enable-all: the emulator saw the transferor's BYE (no modelled wait)" \
		"$(jq -r '[.[] | select(.text | test("transferor")) | .text] | join("|")' <<<"$EV")" \
		"the transferor sent BYE: it ends the held call"
	expect_eq "$TR enable-all: the target's INVITE went over the wire to B" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "B") | "\(.sip.dir):\(.sip.method // .sip.status)"] | join(" ")' <<<"$EV")" \
		"out:INVITE in:180 in:200 out:ACK"
	ctl POST "/emulator/calls/$(leg B sid)/hangup"
	sipp_done target
	expect_eq "$TR enable-all: the target hung up at the end" "$(cut -d'|' -f1,6 <<<"$R")" \
		"rc=0 INVITE sip:desk@127.0.0.1:$B;transport=$tp|BYE"

	# --- enable-all, the transferor sends no BYE: Twilio's after the wait (2 s here) ---
	B=$(sip_port)
	sipp_bg target target_answer.xml "$B" "$TR"
	sipp_listen "$B" "$TR"
	pbx pbx pbx_wait.xml "$TR" 14155550002 "sip:desk@127.0.0.1:$B;transport=$tp"
	sipp_done pbx
	expect_eq "$TR no transferor BYE: the emulator sent BYE after the final NOTIFY" "$R" \
		"rc=0 ANSWERED|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	pbx_call
	events "$P"
	expect_eq "$TR no transferor BYE: the modelled wait decided" \
		"$(jq -r '[.[] | select(.kind == "modelled" and (.text | startswith("trunk.transferor-bye-wait-s"))) | .text | split(" ")[0]] | join(",")' <<<"$EV")" \
		"trunk.transferor-bye-wait-s=2"
	expect_eq "$TR no transferor BYE: the BYE, 2 s after the final NOTIFY" \
		"$(jq -r '([.[] | select(.kind == "sip" and .sip.method == "NOTIFY")][-1].t_ms) as $n | [.[] | select(.kind == "sip" and .sip.method == "BYE" and .sip.dir == "out") | ((.t_ms - $n) / 1000 | floor)] | join(",")' <<<"$EV")" 2
	ctl GET "/emulator/calls/$P"
	ctl POST "/emulator/calls/$(leg B sid)/hangup"
	sipp_done target

	# --- a PSTN target not in tel:+E164 form: refused (modelled 403) ---
	pbx pbx pbx_bye.xml "$TR" 14155550002 "sip:+14155550123@10.1.2.3"
	sipp_done pbx
	expect_eq "$TR sip:+E164@IP: REFER 403" "$R" "rc=0 ANSWERED|ANSWER 403|BYE_200"
	pbx_call
	events "$P"
	expect_eq "$TR sip:+E164@IP: the modelled rule decided" \
		"$(jq -r '[.[] | select(.kind == "modelled") | .text | split(" ")[0]] | join(",")' <<<"$EV")" "trunk.pstn-not-tel-response=403"

	# --- Plivo: the Refer-To host must be the trunk's domain ---
	pbx pbx pbx_bye.xml "$TR" 14155550300 "sip:desk@evil.example.com" answer ";profile=plivo"
	sipp_done pbx
	expect_eq "$TR plivo foreign domain: 403" "$R" "rc=0 ANSWERED|ANSWER 403|BYE_200"
	pbx pbx pbx_wait.xml "$TR" 14155550300 "sip:desk@acme.zt.plivo.com" answer ";profile=plivo"
	sipp_done pbx
	expect_eq "$TR plivo trunk domain: accepted, bridged, then Plivo's BYE" "$R" \
		"rc=0 ANSWERED|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 200 OK terminated|BYE"
	pbx_call
	ctl GET "/emulator/calls/$P"
	expect_eq "$TR plivo: a Plivo call; the endpoint's leg completed, the target bridged" \
		"$(jq -r .profile <<<"$J") $(leg P status) $(leg B status)" "plivo completed in-progress"
	pbx pbx pbx_bye.xml "$TR" 14155550300 "sip:desk@acme.zt.plivo.com" busy ";profile=plivo"
	sipp_done pbx
	expect_eq "$TR plivo target busy (scripted): NOTIFY 486, the endpoint keeps the call" "$R" \
		"rc=0 ANSWERED|ANSWER 202|NOTIFY SIP/2.0 100 Trying active;expires=60|NOTIFY SIP/2.0 486 Busy Here terminated|BYE_200"
done

# an INVITE for a number nobody provisioned: 404
sipp_bg nobody pbx_bye.xml "$(sip_port)" u1 -s 14155559999 -key refer_to x -key target answer -key rparams "" "$SIP"
sipp_done nobody
expect_match "an unknown number: the INVITE fails" "$(grep -c '404 Not Found' "$T/sipp-nobody/nobody.msg")" '^[1-9]'

stop_emulator
expect_eq "the emulator exits 0 (no leak under ASan)" "$?" 0
sanitizer_clean
finish
