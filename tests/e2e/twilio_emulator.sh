# twilio_emulator.sh: the emulator's REST twin seen with curl: auth, shapes, validation, calls, faults, token file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

start_emulator --seed-numbers 4
A=/2010-04-01/Accounts/$AC

# status + body of one request
req() { # METHOD PATH [curl args...]
	local m=$1 p=$2
	shift 2
	curl -s --max-time 10 -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$BASE$p"
}

# --- auth ---
expect_eq "no credentials: 401" "$(req GET "$A/IncomingPhoneNumbers.json")" 401
expect_eq "401 body is Twilio's error" "$(jq -r '"\(.code) \(.status) \(.more_info)"' "$T/body")" "20003 401 https://www.twilio.com/docs/errors/20003"
expect_eq "wrong token: 401" "$(req GET "$A/IncomingPhoneNumbers.json" -u "$AC:nope")" 401
expect_eq "token as user with another SID: 401" "$(req GET "$A/IncomingPhoneNumbers.json" -u "AC00000000000000000000000000000000:$TOK")" 401
expect_eq "right credentials: 200" "$(req GET "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK")" 200
expect_eq "another account's path: 404" "$(req GET "/2010-04-01/Accounts/AC00000000000000000000000000000000/IncomingPhoneNumbers.json" -u "$AC:$TOK")" 404
expect_eq "404 code 20404" "$(jq -r .code "$T/body")" 20404
expect_eq "account fetch (login check)" "$(req GET "$A.json" -u "$AC:$TOK")" 200
expect_eq "account sid" "$(jq -r .sid "$T/body")" "$AC"
expect_eq "unknown route: 404" "$(req GET "$A/Nope.json" -u "$AC:$TOK")" 404
expect_eq "wrong method: 405" "$(req PUT "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK")" 405
expect_eq "405 code 20004" "$(jq -r .code "$T/body")" 20004

# --- numbers: shapes, paging, filter ---
api GET "$A/IncomingPhoneNumbers.json" PageSize=3 >"$T/p0"
expect_eq "page 0 has 3" "$(jq '.incoming_phone_numbers | length' "$T/p0")" 3
expect_eq "v2010 envelope keys" "$(jq -r 'del(.incoming_phone_numbers) | keys | join(",")' "$T/p0")" "end,first_page_uri,next_page_uri,page,page_size,previous_page_uri,start,uri"
NEXT=$(jq -r .next_page_uri "$T/p0")
expect_match "next_page_uri is relative with a PageToken" "$NEXT" "^$A/IncomingPhoneNumbers.json\?PageSize=3&Page=1&PageToken=PA[0-9a-f]{32}$"
curl -s -u "$AC:$TOK" "$BASE$NEXT" >"$T/p1"
expect_eq "page 1 has the rest" "$(jq '.incoming_phone_numbers | length' "$T/p1")" 1
expect_eq "last page: next is null" "$(jq -r .next_page_uri "$T/p1")" null
expect_eq "page 1 start" "$(jq -r '"\(.start) \(.end) \(.page)"' "$T/p1")" "3 3 1"
N=$(jq '.incoming_phone_numbers[0]' "$T/p0")
expect_match "SID is PN + 32 hex" "$(jq -r .sid <<<"$N")" '^PN[0-9a-f]{32}$'
expect_match "dates are RFC 2822" "$(jq -r .date_created <<<"$N")" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000$'
for f in account_sid phone_number friendly_name voice_url voice_method voice_fallback_url voice_application_sid trunk_sid capabilities status_callback uri; do
	expect_eq "number has $f" "$(jq "has(\"$f\")" <<<"$N")" true
done
expect_eq "PhoneNumber filter (URL-encoded +)" "$(api GET "$A/IncomingPhoneNumbers.json" PhoneNumber=+14155550102 | jq -r '.incoming_phone_numbers | map(.phone_number) | join(",")')" "+14155550102"
expect_eq "PhoneNumber filter, partial with *" "$(api GET "$A/IncomingPhoneNumbers.json" PhoneNumber='555010*' | jq '.incoming_phone_numbers | length')" 4
expect_eq "PageSize out of range: 400" "$(req GET "$A/IncomingPhoneNumbers.json?PageSize=1001" -u "$AC:$TOK")" 400

# provision, update, validate, release
expect_eq "provision: 201" "$(req POST "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK" --data-urlencode PhoneNumber=+15005550006 -d VoiceUrl=https://x.example.com/v)" 201
NEW=$(jq -r .sid "$T/body")
expect_eq "provisioned with its URL" "$(jq -r .voice_url "$T/body")" https://x.example.com/v
expect_eq "provision a bad number: 21401" "$(req POST "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK" -d PhoneNumber=5551234 >/dev/null; jq -r .code "$T/body")" 21401
expect_eq "VoiceUrl not http: 400" "$(req POST "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK" -d VoiceUrl=ftp://x.example.com/)" 400
expect_eq "bad VoiceUrl: 21402" "$(jq -r .code "$T/body")" 21402
expect_eq "bad VoiceMethod: 21403" "$(req POST "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK" -d VoiceMethod=PUT >/dev/null; jq -r .code "$T/body")" 21403
expect_eq "unknown TrunkSid refused" "$(req POST "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK" -d TrunkSid=TK00000000000000000000000000000000)" 400
expect_eq "update: 200" "$(req POST "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK" -d VoiceMethod=get -d FriendlyName=desk)" 200
expect_eq "update applied" "$(jq -r '.voice_method + " " + .friendly_name' "$T/body")" "GET desk"
expect_eq "release: 204" "$(req DELETE "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK")" 204
expect_eq "released: 404" "$(req GET "$A/IncomingPhoneNumbers/$NEW.json" -u "$AC:$TOK")" 404

# --- calls ---
expect_eq "call without To: 21201" "$(req POST "$A/Calls.json" -u "$AC:$TOK" --data-urlencode From=+14155550100 -d Url=https://a.example.com/ >/dev/null; jq -r .code "$T/body")" 21201
expect_eq "call to a bad number: 21211" "$(req POST "$A/Calls.json" -u "$AC:$TOK" -d To=12 --data-urlencode From=+14155550100 -d Url=https://a.example.com/ >/dev/null; jq -r .code "$T/body")" 21211
expect_eq "call with a bad Url: 21205" "$(req POST "$A/Calls.json" -u "$AC:$TOK" --data-urlencode To=+14155550111 --data-urlencode From=+14155550100 -d Url=nope >/dev/null; jq -r .code "$T/body")" 21205
expect_eq "call without Url or Twiml: 21205" "$(req POST "$A/Calls.json" -u "$AC:$TOK" --data-urlencode To=+14155550111 --data-urlencode From=+14155550100 >/dev/null; jq -r .code "$T/body")" 21205
expect_eq "call create: 201" "$(req POST "$A/Calls.json" -u "$AC:$TOK" -d To=sip:agent@pbx.example.com --data-urlencode From=+14155550100 --data-urlencode 'Twiml=<Response><Say>hi</Say></Response>')" 201
CA=$(jq -r .sid "$T/body")
expect_match "call SID is CA + 32 hex" "$CA" '^CA[0-9a-f]{32}$'
expect_eq "call is queued" "$(jq -r .status "$T/body")" queued
expect_eq "private fields are not rendered" "$(jq '[keys[] | select(startswith("_"))] | length' "$T/body")" 0
expect_eq "call fetch" "$(req GET "$A/Calls/$CA.json" -u "$AC:$TOK")" 200
# the call runs on the engine's thread after the create answer: wait (bounded) for its end
for _ in $(seq 1 50); do
	[ "$(api GET "$A/Calls/$CA.json" | jq -r .status)" = completed ] && break
	sleep 0.1
done
expect_eq "the call ran to its end" "$(api GET "$A/Calls/$CA.json" | jq -r .status)" completed
expect_eq "calls list filter Status" "$(api GET "$A/Calls.json" Status=completed | jq -r --arg s "$CA" '[.calls[].sid | select(. == $s)] | length')" 1
expect_eq "calls list filter Status (none queued now)" "$(api GET "$A/Calls.json" Status=queued | jq -r --arg s "$CA" '[.calls[].sid | select(. == $s)] | length')" 0
expect_eq "calls list filter ParentCallSid" "$(api GET "$A/Calls.json" ParentCallSid=CA00000000000000000000000000000000 | jq '.calls | length')" 0

# --- trunks (v1) ---
expect_eq "trunk create: 201" "$(req POST /v1/Trunks -u "$AC:$TOK" -d FriendlyName=pbx -d TransferMode=enable-all)" 201
TK=$(jq -r .sid "$T/body")
expect_match "TK + 32 hex" "$TK" '^TK[0-9a-f]{32}$'
expect_match "v1 dates are ISO 8601" "$(jq -r .date_created "$T/body")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
expect_eq "trunk url is absolute" "$(jq -r .url "$T/body")" "$BASE/v1/Trunks/$TK"
expect_eq "bad TransferMode: 400" "$(req POST "/v1/Trunks/$TK" -u "$AC:$TOK" -d TransferMode=sometimes)" 400
expect_eq "bad TransferCallerId: 400" "$(req POST "/v1/Trunks/$TK" -u "$AC:$TOK" -d TransferCallerId=me)" 400
expect_eq "bad DomainName: 21245" "$(req POST /v1/Trunks -u "$AC:$TOK" -d DomainName=x.example.com >/dev/null; jq -r .code "$T/body")" 21245
api GET /v1/Trunks PageSize=1 >"$T/t0"
expect_eq "v1 meta envelope" "$(jq -r '.meta | keys | join(",")' "$T/t0")" "first_page_url,key,next_page_url,page,page_size,previous_page_url,url"
expect_eq "v1 meta key" "$(jq -r .meta.key "$T/t0")" trunks

# --- concurrent writers and readers on one number (one lock; ASan build) ---
PNC=$(pn_of +14155550103)
for i in $(seq 16); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -u "$AC:$TOK" \
		-d "FriendlyName=w$i" "$BASE$A/IncomingPhoneNumbers/$PNC.json" >>"$T/conc" &
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -u "$AC:$TOK" \
		"$BASE$A/IncomingPhoneNumbers.json?PageSize=2" >>"$T/conc" &
done
wait_pids=$(jobs -p | grep -v "^$EMU_PID$")
for p in $wait_pids; do wait "$p" 2>/dev/null; done
expect_eq "32 concurrent requests all answered 200" "$(grep -c '^200$' "$T/conc")" 32
expect_match "one of the writers won" "$(api GET "$A/IncomingPhoneNumbers/$PNC.json" | jq -r .friendly_name)" '^w[0-9]+$'

# --- faults ---
expect_eq "fault: bad status refused" "$(fault Status=404)" 400
expect_eq "fault: stall beyond the bound refused" "$(fault StallMs=999999)" 400
expect_eq "fault: count beyond the bound refused" "$(fault Status=500 Count=1000)" 400
fault Status=429 Count=2 RetryAfter=7 >/dev/null
expect_eq "fault 1: 429" "$(req GET "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK" -D "$T/hdr")" 429
expect_match "429 carries Retry-After" "$(cat "$T/hdr")" 'Retry-After: 7'
expect_eq "429 code 20429" "$(jq -r .code "$T/body")" 20429
expect_eq "fault 2: 429" "$(req GET "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK")" 429
expect_eq "after the faults: 200" "$(req GET "$A/IncomingPhoneNumbers.json" -u "$AC:$TOK")" 200
expect_eq "unknown /emulator/ route: 404" "$(req POST /emulator/nothing)" 404
expect_no_match "the emulator's argv has no token" "$(tr '\0' ' ' </proc/$EMU_PID/cmdline)" "$TOK"
stop_emulator
expect_eq "emulator exits 0 on SIGTERM (no leaks)" "$?" 0

# --- no token given: a generated one in a 0600 file, path printed, token not ---
P2=$(free_port)
env -u HANDOFF_EMULATOR_AUTH_TOKEN "$HANDOFF" emulator --listen "127.0.0.1:$P2" --account-sid "$AC" >"$T/gen.out" 2>"$T/gen.err" &
GEN=$!
CLEANUP+=("kill $GEN 2>/dev/null")
wait_http "http://127.0.0.1:$P2/healthz" 20
TF=$(sed -n 's/^auth token written to \(.*\) (mode 0600)$/\1/p' "$T/gen.out")
expect_match "prints the token file's path" "$TF" '/auth-token$'
expect_eq "token file is 0600" "$(stat -c %a "$TF")" 600
expect_eq "its directory is 0700" "$(stat -c %a "$(dirname "$TF")")" 700
GTOK=$(cat "$TF")
expect_no_match "the token itself is not printed" "$(cat "$T/gen.out" "$T/gen.err")" "$GTOK"
expect_eq "the generated token works" "$(curl -s -o /dev/null -w '%{http_code}' -u "$AC:$GTOK" "http://127.0.0.1:$P2$A/IncomingPhoneNumbers.json")" 200
kill -TERM $GEN
wait $GEN
expect_eq "generated: exits 0" "$?" 0
expect_eq "the token file is removed at exit" "$(test -e "$TF" && echo left || echo gone)" gone

# --auth-token-file
printf 'filetoken123456\n' >"$T/tokfile"
P3=$(free_port)
"$HANDOFF" emulator --listen "127.0.0.1:$P3" --account-sid "$AC" --auth-token-file "$T/tokfile" >/dev/null 2>&1 &
FP=$!
CLEANUP+=("kill $FP 2>/dev/null")
wait_http "http://127.0.0.1:$P3/healthz" 20
expect_eq "--auth-token-file token works" "$(curl -s -o /dev/null -w '%{http_code}' -u "$AC:filetoken123456" "http://127.0.0.1:$P3$A.json")" 200
kill -TERM $FP
wait $FP
# --auth-token on argv (kept for compatibility): warned about, then hidden from the process list
P4=$(free_port)
"$HANDOFF" emulator --listen "127.0.0.1:$P4" --account-sid "$AC" --auth-token argvtoken98765 >/dev/null 2>"$T/argv.err" &
AP=$!
CLEANUP+=("kill $AP 2>/dev/null")
wait_http "http://127.0.0.1:$P4/healthz" 20
expect_match "--auth-token warns" "$(cat "$T/argv.err")" 'visible in the process list; prefer --auth-token-file'
expect_no_match "--auth-token is wiped from argv" "$(tr '\0' ' ' </proc/$AP/cmdline)" argvtoken98765
expect_eq "--auth-token still works" "$(curl -s -o /dev/null -w '%{http_code}' -u "$AC:argvtoken98765" "http://127.0.0.1:$P4$A.json")" 200
kill -TERM $AP
wait $AP
expect_exit "bad --account-sid is refused" 1 "$HANDOFF" emulator --listen 127.0.0.1:0 --account-sid ACnope --auth-token-file "$T/tokfile"
expect_exit "--seed-numbers over the limit" 2 "$HANDOFF" emulator --seed-numbers 999999
finish
