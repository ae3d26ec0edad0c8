# twilio_oai.sh: the REST twin's answers for numbers, calls, accounts, SIP domains and trunks
# against the property lists derived from Twilio's OpenAPI description (fixtures/oai/,
# twilio/twilio-oai at d50069b4): every property with its type, enum and format; date fields
# stable between two fetches; GET .../Accounts.json; a list page's uri keeps the PageToken it
# was asked with.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

PROPS=$ROOT/fixtures/oai/twilio-oai-props.json
# the real API sends a number's subresource_uris ({assigned_add_ons}); the spec omits it
EXTRA=(--allow-extra incoming_phone_number.subresource_uris)
n=0
# answer KIND JSON: saves one answer and checks it against the spec's property lists
answer() {
	n=$((n + 1))
	printf '%s' "$2" >"$T/a$n.json"
	if python3 "$ROOT/tests/e2e/helpers/oai_check.py" "$PROPS" "$1" "$T/a$n.json" "${EXTRA[@]}" >"$T/diff" 2>&1; then
		ok
	else
		not_ok "the $1 answer #$n matches Twilio's spec" "$(head -8 "$T/diff")"
	fi
}

expect_eq "the fixture names its source" "$(jq -r '.source.repo + " " + .source.commit' "$PROPS")" \
	"twilio/twilio-oai d50069b44ea8cd23141385bdb6db48f16ff75bb5"

start_emulator --seed-numbers 3
A=/2010-04-01/Accounts/$AC

# --- numbers ---
PN=$(pn_of +14155550100)
answer incoming_phone_number "$(api GET "$A/IncomingPhoneNumbers/$PN.json")"
answer incoming_phone_number "$(api POST "$A/IncomingPhoneNumbers.json" PhoneNumber=+14155550142 VoiceUrl=https://app.example.com/voice)"
answer incoming_phone_number "$(api POST "$A/IncomingPhoneNumbers/$PN.json" VoiceUrl=https://app.example.com/v2 VoiceMethod=GET)"
P0=$(api GET "$A/IncomingPhoneNumbers.json" PageSize=2)
answer incoming_phone_numbers "$P0"
NEXT=$(jq -r .next_page_uri <<<"$P0")
expect_match "the next page carries a PageToken" "$NEXT" 'PageToken=PA[0-9a-f]{32}'
P1=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE$NEXT")
answer incoming_phone_numbers "$P1"
expect_eq "page 1's uri keeps the PageToken it was asked with" "$(jq -r .uri <<<"$P1")" "$NEXT"
answer incoming_phone_numbers "$(api GET "$A/IncomingPhoneNumbers.json" PhoneNumber=+14155550101)"

# --- calls: created, live (an agent on a stream), updated, a child leg, ended ---
STREAM='<Response><Connect><Stream url="wss://agent.example.com/media"/></Connect></Response>'
C=$(api POST "$A/Calls.json" To=+14155550111 From=+14155550199 "Twiml=$STREAM")
answer call "$C"
CA=$(jq -r .sid <<<"$C")
for ((i = 0; i < 100; i++)); do
	[ "$(api GET "$A/Calls/$CA.json" | jq -r .status)" = in-progress ] && break
	sleep 0.05
done
answer call "$(api GET "$A/Calls/$CA.json")"
answer call "$(api POST "$A/Calls/$CA.json" 'Twiml=<Response><Dial><Number>+14155550142</Number></Dial></Response>')"
CHILD=$(api GET "$A/Calls.json" ParentCallSid="$CA" | jq -r '.calls[0].sid')
expect_match "the <Dial> made a child call" "$CHILD" '^CA[0-9a-f]{32}$'
answer call "$(api GET "$A/Calls/$CHILD.json")"
answer calls "$(api GET "$A/Calls.json" ParentCallSid="$CA")"
answer call "$(api POST "$A/Calls/$CA.json" Status=completed)"
answer call "$(api GET "$A/Calls/$CA.json")"
answer calls "$(api GET "$A/Calls.json")"
L0=$(api GET "$A/Calls.json" PageSize=1)
L1=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE$(jq -r .next_page_uri <<<"$L0")")
answer calls "$L1"
expect_eq "a calls page's uri keeps its PageToken" "$(jq -r .uri <<<"$L1")" "$(jq -r .next_page_uri <<<"$L0")"

# --- the account ---
answer account "$(api GET "$A.json")"
answer accounts "$(api GET /2010-04-01/Accounts.json)"
expect_eq "GET .../Accounts.json lists the account" "$(api GET /2010-04-01/Accounts.json | jq -r '[.accounts[].sid] | join(",")')" "$AC"
expect_eq "Accounts.json filters by Status" "$(api GET /2010-04-01/Accounts.json Status=closed | jq '.accounts | length')" 0
expect_eq "the auth token is never sent back" "$(api GET "$A.json" | jq -r .auth_token)" null

# --- trunks ---
T1=$(api POST /v1/Trunks FriendlyName=one)
answer trunk "$T1"
TK=$(jq -r .sid <<<"$T1")
api POST /v1/Trunks FriendlyName=two >/dev/null
answer trunk "$(api POST "/v1/Trunks/$TK" TransferMode=sip-only TransferCallerId=from-transferor)"
answer trunk "$(api GET "/v1/Trunks/$TK")"
K0=$(api GET /v1/Trunks PageSize=1)
answer trunks "$K0"
NEXT=$(jq -r .meta.next_page_url <<<"$K0")
expect_match "the trunks' next page carries a PageToken" "$NEXT" 'PageToken=PA[0-9a-f]{32}'
K1=$(curl -s --max-time 10 -u "$AC:$TOK" "$NEXT")
answer trunks "$K1"
expect_eq "a trunks page's meta.url keeps its PageToken" "$(jq -r .meta.url <<<"$K1")" "$NEXT"

# --- SIP domains ---
D1=$(api POST "$A/SIP/Domains.json" DomainName=office.sip.twilio.com VoiceUrl=https://app.example.com/sip)
answer sip_domain "$D1"
SD=$(jq -r .sid <<<"$D1")
expect_match "a domain's sid is SD + 32 hex" "$SD" '^SD[0-9a-f]{32}$'
api POST "$A/SIP/Domains.json" DomainName=branch.sip.twilio.com >/dev/null
answer sip_domain "$(api POST "$A/SIP/Domains/$SD.json" VoiceMethod=GET Secure=true SipRegistration=true)"
answer sip_domain "$(api GET "$A/SIP/Domains/$SD.json")"
S0=$(api GET "$A/SIP/Domains.json" PageSize=1)
answer sip_domains "$S0"
S1=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE$(jq -r .next_page_uri <<<"$S0")")
answer sip_domains "$S1"
expect_eq "a domains page's uri keeps its PageToken" "$(jq -r .uri <<<"$S1")" "$(jq -r .next_page_uri <<<"$S0")"
expect_eq "a DomainName not ending in .sip.twilio.com is refused" \
	"$(api POST "$A/SIP/Domains.json" DomainName=office.example.com | jq -c '[.status, .code]')" "[400,21231]"

# --- date fields do not move between two fetches ---
dates() { jq -c '[.date_created, .date_updated, .start_time?, .end_time?]'; }
a1=$(api GET "$A.json" | dates)
n1=$(api GET "$A/IncomingPhoneNumbers/$PN.json" | dates)
t1=$(api GET "/v1/Trunks/$TK" | dates)
d1=$(api GET "$A/SIP/Domains/$SD.json" | dates)
c1=$(api GET "$A/Calls/$CA.json" | dates)
sleep 1.2 # RFC 2822 and ISO 8601 dates count seconds
expect_eq "account dates are stable" "$(api GET "$A.json" | dates)" "$a1"
expect_eq "number dates are stable" "$(api GET "$A/IncomingPhoneNumbers/$PN.json" | dates)" "$n1"
expect_eq "trunk dates are stable" "$(api GET "/v1/Trunks/$TK" | dates)" "$t1"
expect_eq "domain dates are stable" "$(api GET "$A/SIP/Domains/$SD.json" | dates)" "$d1"
expect_eq "an ended call's dates are stable" "$(api GET "$A/Calls/$CA.json" | dates)" "$c1"

# --- the check itself fails on what the spec does not allow ---
good=$(api GET "$A/Calls/$CA.json")
while IFS='|' read -r desc edit want; do
	[ -z "$desc" ] && continue
	jq "$edit" <<<"$good" >"$T/bad.json"
	expect_exit "the check refuses $desc" 1 python3 "$ROOT/tests/e2e/helpers/oai_check.py" "$PROPS" call "$T/bad.json"
	expect_match "and names it ($desc)" "$(cat "$T/out")" "$want"
done <<'CASES'
a missing property|del(.subresource_uris)|^call.subresource_uris: missing
a wrong type|.duration = 4|^call.duration: integer 4, the spec says string\|null
a status outside the enum|.status = "talking"|^call.status: 'talking' is not one of
an RFC 2822 date that is not|.date_created = "2026-01-01T00:00:00Z"|^call.date_created: .* is not date-time-rfc-2822
a key the spec does not list|.extra = 1|^call.extra: not in the spec
a null where the spec has none|.status = null|^call.status: null null, the spec says string
CASES
jq 'del(.subresource_uris)' <<<"$(api GET "$A/IncomingPhoneNumbers/$PN.json")" >"$T/ok.json"
expect_exit "a number without the allowed extra still passes" 0 python3 "$ROOT/tests/e2e/helpers/oai_check.py" "$PROPS" incoming_phone_number "$T/ok.json"
expect_exit "the extra is a difference unless allowed" 1 python3 "$ROOT/tests/e2e/helpers/oai_check.py" "$PROPS" incoming_phone_number "$T/a1.json"

stop_emulator
expect_eq "emulator exits 0" "$?" 0
finish
