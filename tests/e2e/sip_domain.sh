# sip_domain.sh: calls to a SIP domain user over real SIP, UDP and TCP: a SIPp user agent
# INVITEs sip:alice@example.sip.twilio.com (sent to the emulator's address), or the loopback
# form sip:bob@ADDR;domain=example.sip.twilio.com, with X- headers; the domain's Voice URL (a
# stand-in app) gets a signed webhook with exactly Twilio's SIP parameters; the caller hears
# 180, then 200 once <Say>/<Dial> runs; <Reject reason="busy"> is 486; an unknown domain is
# the modelled 404; POST /emulator/calls starts the same kind of call with the same names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
start_app
start_sip_emulator
A=/2010-04-01/Accounts/$AC
SD=$(api POST "$A/SIP/Domains.json" DomainName=example.sip.twilio.com VoiceUrl="$APP/dom" | jq -r .sid)
expect_match "the SIP domain was created" "$SD" '^SD[0-9a-f]{32}$'
export TWILIO_AUTH_TOKEN=$TOK

# webhook N: the Nth request the app got for /dom (1-based), as JSON, into $W
webhook() {
	local i
	for ((i = 0; i < 100; i++)); do
		W=$(jq -c --argjson n "$1" '[inputs | select(.path == "dom")][$n - 1] // empty' -n \
			"$T/app/requests.jsonl" 2>/dev/null)
		[ -n "$W" ] && return 0
		sleep 0.1
	done
	return 1
}
param() { jq -r --arg k "$1" '[.form[] | select(.[0] == $k) | .[1]][0] // "(none)"' <<<"$W"; }
names() { jq -r '[.form[][0]] | sort | join(" ")' <<<"$W"; }
# signed: handoff sig verify accepts the webhook's X-Twilio-Signature for $APP/dom
signed() {
	local args=()
	mapfile -t args < <(jq -r '.form[] | "\(.[0])=\(.[1])"' <<<"$W")
	"$HANDOFF" sig verify --url "$APP/dom" --signature "$(jq -r .signature <<<"$W")" "${args[@]}" >"$T/sig.out" 2>&1
}
NAMES="AccountSid ApiVersion CallSid CallStatus Called Caller Direction From SipCallId SipDomain SipDomainSid SipHeader_X-Correlation-Id SipHeader_X-Tenant SipSourceIp To"
n=0

for TR in u1 t1; do
	tp=udp
	[ "$TR" = t1 ] && tp=tcp

	# --- the Request-URI names the domain; <Say> answers, <Hangup> ends it ---
	app dom '<Response><Say>Hello Alice</Say><Hangup/></Response>'
	CP=$(sip_port)
	sipp_bg alice domain_caller.xml "$CP" "$TR" -key ruri "sip:alice@example.sip.twilio.com" -key xval "corr-$tp" "$SIP"
	sipp_done alice
	expect_eq "$TR: alice@example.sip.twilio.com heard 180, 200 once <Say> ran, then BYE" "$R" "rc=0 180|ANSWERED|BYE" ||
		sipp_why alice
	n=$((n + 1))
	webhook $n
	expect_eq "$TR: the Voice URL got exactly Twilio's parameters of a SIP-originated call" "$(names)" "$NAMES"
	CID=$(grep -a -m1 '^Call-ID:' "$T/sipp-alice/alice.msg" | sed 's/^Call-ID: *//; s/\r$//')
	expect_eq "$TR: their values" \
		"$(param To)|$(param Called)|$(param From)|$(param Caller)|$(param Direction)|$(param SipDomain)|$(param SipDomainSid)|$(param SipCallId)|$(param SipSourceIp)|$(param SipHeader_X-Correlation-Id)|$(param SipHeader_X-Tenant)|$(param CallStatus)" \
		"sip:alice@example.sip.twilio.com|sip:alice@example.sip.twilio.com|sip:alice@127.0.0.1:$CP|sip:alice@127.0.0.1:$CP|inbound|example.sip.twilio.com|$SD|$CID|127.0.0.1|corr-$tp|acme|ringing"
	if signed; then ok; else not_ok "$TR: the webhook's signature verifies (handoff sig verify)" "$(cat "$T/sig.out")"; fi
	P=$(param CallSid)
	events "$P"
	expect_eq "$TR: the timeline: INVITE in, 180, 200, ACK, the emulator's BYE" \
		"$(jq -r '[.[] | select(.kind == "sip" and .leg == "P") | "\(.sip.dir):\(.sip.method // .sip.status)"][:6] | join(" ")' <<<"$EV")" \
		"in:INVITE out:180 out:200 in:ACK out:BYE in:200"
	expect_eq "$TR: the 200 came after the Voice URL answered" \
		"$(jq -r '[.[] | select((.kind == "sip" and .sip.status == 200 and .sip.cseq_method == "INVITE") or .kind == "webhook") | .kind] | join(",")' <<<"$EV")" \
		"webhook,sip"

	# --- the loopback form (;domain=); a <Dial> answers it; the call is hung up here ---
	app dom '<Response><Dial><Number>+14155550142</Number></Dial></Response>'
	sipp_bg bob domain_caller.xml "$(sip_port)" "$TR" -key ruri "sip:bob@$SIP;domain=example.sip.twilio.com" -key xval "b-$tp" "$SIP"
	n=$((n + 1))
	webhook $n
	P=$(param CallSid)
	expect_eq "$TR: the ;domain= form: To is the domain user, the parameter gone" "$(param To) $(param SipDomain)" \
		"sip:bob@example.sip.twilio.com example.sip.twilio.com"
	wait_leg "$P" A in-progress 10
	expect_eq "$TR: <Dial> bridged bob to the number" "$(leg P status) $(leg A to) $(leg A status)" "in-progress +14155550142 in-progress"
	ctl POST "/emulator/calls/$P/hangup"
	sipp_done bob
	expect_eq "$TR: bob heard 180, 200 on <Dial>, then BYE when the call was hung up" "$R" "rc=0 180|ANSWERED|BYE" ||
		sipp_why bob

	# --- <Reject reason="busy">: 486 ---
	app dom '<Response><Reject reason="busy"/></Response>'
	sipp_bg carol domain_caller.xml "$(sip_port)" "$TR" -key ruri "sip:carol@example.sip.twilio.com" -key xval c "$SIP"
	sipp_done carol
	expect_eq "$TR: <Reject reason=\"busy\"> answers 486" "$R" "rc=0 180|REFUSED 486" || sipp_why carol
	n=$((n + 1))

	# --- a domain the account does not have: the modelled 404, no webhook ---
	sipp_bg dave domain_caller.xml "$(sip_port)" "$TR" -key ruri "sip:dave@nosuch.sip.twilio.com" -key xval d "$SIP"
	sipp_done dave
	expect_eq "$TR: an unknown domain answers 404 (sip.unknown-domain-response)" "$R" "rc=0 180|REFUSED 404" || sipp_why dave
	expect_eq "$TR: and fetched nothing" "$(jq -s '[.[] | select(.path == "dom")] | length' "$T/app/requests.jsonl")" "$n"
done

# --- a domain without a VoiceUrl is unknown too; the rule names another answer ---
api POST "$A/SIP/Domains.json" DomainName=empty.sip.twilio.com >/dev/null
sipp_bg erin domain_caller.xml "$(sip_port)" u1 -key ruri "sip:erin@empty.sip.twilio.com" -key xval e "$SIP"
sipp_done erin
expect_eq "a domain without a VoiceUrl answers 404" "$R" "rc=0 180|REFUSED 404"

# --- POST /emulator/calls: the same kind of call, the same parameter names ---
app dom '<Response><Say>Hi</Say></Response>'
ctl POST /emulator/calls From=sip:alice@127.0.0.1:5999 To=sip:alice@example.sip.twilio.com \
	SipHeader_X-Correlation-Id=json-1 SipHeader_X-Tenant=acme
expect_eq "POST /emulator/calls with a SIP domain user: 201" "$STATUS $(leg P direction)" "201 inbound"
n=$((n + 1))
webhook $n
expect_eq "the JSON path's webhook carries the same names as the SIP path's" "$(names)" "$NAMES"
expect_eq "and the values the form gave" "$(param To) $(param From) $(param SipDomainSid) $(param SipHeader_X-Correlation-Id)" \
	"sip:alice@example.sip.twilio.com sip:alice@127.0.0.1:5999 $SD json-1"
if signed; then ok; else not_ok "the JSON path's webhook is signed" "$(cat "$T/sig.out")"; fi
ctl POST /emulator/calls From=sip:x@127.0.0.1 To=sip:x@nosuch.sip.twilio.com
expect_eq "POST /emulator/calls to an unknown domain: 404" "$STATUS" 404

stop_emulator
expect_eq "the emulator exits 0 (no leak under ASan)" "$?" 0
sanitizer_clean

# --- the rule changes the unknown domain's answer ---
start_sip_emulator --rule sip.unknown-domain-response=403
sipp_bg frank domain_caller.xml "$(sip_port)" u1 -key ruri "sip:frank@nosuch.sip.twilio.com" -key xval f "$SIP"
sipp_done frank
expect_eq "--rule sip.unknown-domain-response=403: an unknown domain answers 403" "$R" "rc=0 180|REFUSED 403"
stop_emulator
expect_eq "the emulator exits 0" "$?" 0
finish
