# serve_routes: every status of interface.md, the Refer-To shapes, injection
# attempts in every parameter, the access log, against the real server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

setup_dests || { not_ok "setting up destinations"; finish; exit 1; }
start_server --db "$HANDOFF_DB" --agent 'sip:ai@agent.example.com' --allow-direct '+1555*' || { finish; exit 1; }
# the public URL is this server's own address here: Twilio would call the proxy's
export BASE

# --- 200s ---
hook POST /voice CallSid=CA100 From=+14155550100
expect_eq "POST /voice" "$STATUS" 200
expect_match "/voice dials the agent with referUrl" "$(cat "$T/body")" "<Dial answerOnBridge=\"true\" referUrl=\"$BASE/refer\">"
expect_match "/voice <Sip>" "$(cat "$T/body")" '<Sip>sip:ai@agent.example.com</Sip>'
hook GET /voice CallSid=CA100
expect_eq "GET /voice" "$STATUS" 200
hook POST /sandbox/voice CallSid=CA100
expect_match "/sandbox/voice points at /sandbox/refer" "$(cat "$T/body")" "referUrl=\"$BASE/sandbox/refer\""
ctype=$(curl -s -o /dev/null -w '%{content_type}' -H "X-Twilio-Signature: $("$HANDOFF" sig sign --url "$BASE/voice")" -X POST "$BASE/voice")
expect_eq "text/xml content type" "$ctype" "text/xml"

hook POST /refer CallSid=CA101 From=+14155550100 To=+18005551212 AccountSid=AC1 \
	'ReferTransferTarget=<sip:billing@agent.example.com?X-Account=42%2C7&User-to-User=abc>'
expect_eq "POST /refer live" "$STATUS" 200
expect_match "live billing with variables" "$(cat "$T/body")" \
	'<Sip>sip:billing@pbx.example.com\?X-Caller=%2B14155550100&amp;X-Account=42%2C7&amp;X-Call=CA101</Sip>'
lint_twiml "$T/body" && ok || not_ok "the /refer answer lints clean" "$(cat "$T/body")"
hook POST /sandbox/refer CallSid=CA102 'ReferTransferTarget=sip:billing@agent.example.com'
expect_match "sandbox billing is v2" "$(cat "$T/body")" 'sip:billing-v2@pbx.example.com'
hook GET /refer CallSid=CA103 'ReferTransferTarget=<sip:Front-Desk@agent.example.com>'
expect_eq "GET /refer (params in the query)" "$STATUS" 200
expect_match "front-desk is a Number" "$(cat "$T/body")" '<Number>\+14155550123</Number>'
expect_eq "GET /healthz" "$(curl -s "$BASE/healthz")" "ok"

# --- the Refer-To shapes ---
while IFS='|' read -r target want_status want; do
	[ -z "$target" ] && continue
	hook POST /refer CallSid=CA104 "ReferTransferTarget=$target"
	expect_eq "Refer-To $target: status" "$STATUS" "$want_status"
	[ -n "$want" ] && expect_match "Refer-To $target: answer" "$(cat "$T/body")" "$want"
done <<'CASES'
<sip:billing@agent.example.com>|200|sip:billing@pbx.example.com
sip:BILLING@agent.example.com|200|sip:billing@pbx.example.com
"Billing desk" <sips:billing@agent.example.com:5061;transport=tls?X-Account=9>|200|X-Account=9
<sip:billing@agent.example.com;lr?X-Account=a%20b>|200|X-Account=a%20b
<tel:+15551234567>|200|<Number>\+15551234567</Number>
tel:+1-555-123-4568;phone-context=example.com|200|<Number>\+15551234568</Number>
<sip:+15551234569@trunk.example.com;user=phone>|200|<Number>\+15551234569</Number>
<tel:+14155550000>|404|
<sip:nobody@agent.example.com>|404|
sip:agent.example.com|404|
billing|400|
<sip:billing@agent.example.com|400|
http://billing.example.com/|400|
CASES
long="sip:billing@agent.example.com?X-Account=$(printf 'a%.0s' $(seq 1 230))"
hook POST /refer "ReferTransferTarget=$long"
expect_eq "a 257-character Refer-To" "$STATUS" 400

# --- the Voice API transfer: /transfer/{name} answers the destination as /refer does ---
hook POST /transfer/billing CallSid=CA200 From=+14155550100 To=+18005551212 AccountSid=AC1
expect_eq "POST /transfer/billing" "$STATUS" 200
expect_match "transfer: billing with the request's variables, \$refer.* empty" "$(cat "$T/body")" \
	'<Sip>sip:billing@pbx.example.com\?X-Caller=%2B14155550100&amp;X-Call=CA200</Sip>'
lint_twiml "$T/body" && ok || not_ok "the /transfer answer lints clean" "$(cat "$T/body")"
hook GET /transfer/Front-Desk CallSid=CA201
expect_eq "GET /transfer/Front-Desk (case-insensitive)" "$STATUS" 200
expect_match "transfer: front-desk is a Number" "$(cat "$T/body")" '<Number>\+14155550123</Number>'
hook POST /sandbox/transfer/billing CallSid=CA202
expect_match "sandbox transfer is billing v2" "$(cat "$T/body")" 'sip:billing-v2@pbx.example.com'
hook POST /transfer/nosuch CallSid=CA203
expect_eq "an unknown name: 404" "$STATUS" 404
SIG="" hook POST /transfer/billing CallSid=CA204
expect_eq "transfer without a signature: 403" "$STATUS" 403
SIGN_URL="$BASE/transfer/front-desk" hook POST /transfer/billing CallSid=CA205
expect_eq "transfer signed for another name: 403" "$STATUS" 403
expect_eq "PUT /transfer/billing: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$BASE/transfer/billing")" 405
expect_eq "/transfer/ with no name: 404" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/transfer/")" 404

# --- injection attempts: one Dial with the intended Sip, or a refusal ---
inj=0
while IFS= read -r line; do
	[ -z "$line" ] && continue
	inj=$((inj + 1))
	eval "set -- $line"
	hook POST /refer "$@"
	if [ "$STATUS" = 200 ]; then
		b=$(cat "$T/body")
		expect_eq "injection $inj: one Dial" "$(grep -o '<Dial' "$T/body" | wc -l)" 1
		expect_eq "injection $inj: one Sip to billing" "$(grep -oE '<Sip>sip:billing@pbx.example.com[?<]' "$T/body" | wc -l)" 1
		expect_no_match "injection $inj: no Hangup" "$b" '<Hangup|<Redirect|<Say'
		expect_no_match "injection $inj: no injected SIP header" "$b" '[?;]X-Evil=|&amp;X-Evil='
		expect_eq "injection $inj: the Sip URI is one line" "$(grep -c '</Sip>' "$T/body")" 1
		lint_twiml "$T/body" && ok || not_ok "injection $inj: lints clean" "$b"
	else
		expect_eq "injection $inj: refused as malformed" "$STATUS" 400
	fi
done <<'CASES'
'From="><Hangup/>' 'ReferTransferTarget=sip:billing@a'
'From=</Sip></Dial><Hangup/>' 'ReferTransferTarget=sip:billing@a'
'From=a&X-Evil=1' 'ReferTransferTarget=sip:billing@a'
$'From=a\r\nX-Evil: 1' 'ReferTransferTarget=sip:billing@a'
'From=%0d%0aX-Evil: 1' 'ReferTransferTarget=sip:billing@a'
'CallSid=CA1"><Say>x</Say>' 'ReferTransferTarget=sip:billing@a'
'ReferTransferTarget=<sip:billing@a?X-Account=1%26X-Evil%3D2>'
'ReferTransferTarget=<sip:billing@a?X-Account="><Hangup/>>'
'ReferTransferTarget=<sip:billing@a?X-Account=%22%3E%3CHangup%2F%3E>'
'ReferTransferTarget=<sip:billing@a?X-Account=%3C/Sip%3E%3CSay%3Ex%3C/Say%3E>'
'ReferTransferTarget=<sip:billing@a?X-Account=a%0d%0aX-Evil:%201>'
'ReferTransferTarget=<sip:billing@a?X-Account=a%0aX-Evil:1>'
$'ReferTransferTarget=<sip:billing@a?X-Account=a\r\nX-Evil: 1>'
'ReferTransferTarget=<sip:billing@a?X-Account=$call_sid&X-Evil=1>'
'ReferTransferTarget=<sip:billing"><Hangup/>@a>'
'ReferTransferTarget=<sip:billing@a>"><Hangup/>'
'To=&amp;<x>' 'AccountSid=]]>' 'ReferTransferTarget=sip:billing@a'
CASES

# --- refusals ---
SIG="" hook POST /refer 'ReferTransferTarget=sip:billing@a'
expect_eq "no signature: 403" "$STATUS" 403
SIG="RSOYDt4T1cUTdK1PDd93/VVr8B8=" hook POST /refer 'ReferTransferTarget=sip:billing@a'
expect_eq "a wrong signature: 403" "$STATUS" 403
SIGN_URL="https://example.com/refer" hook POST /refer 'ReferTransferTarget=sip:billing@a'
expect_eq "signed for another URL: 403" "$STATUS" 403
hook POST /refer CallSid=CA105
expect_eq "no ReferTransferTarget: 400" "$STATUS" 400
sig=$("$HANDOFF" sig sign --url "$BASE/refer")
s=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Twilio-Signature: $sig" --data-binary 'ReferTransferTarget=%zz' "$BASE/refer")
expect_eq "a bad %-escape: 400" "$s" 400
expect_eq "PUT /refer: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$BASE/refer")" 405
expect_eq "DELETE /voice: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/voice")" 405
expect_match "405 says Allow" "$(curl -s -D - -o /dev/null -X PUT "$BASE/refer")" 'Allow: GET, HEAD, POST'
expect_eq "POST /healthz: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/healthz")" 405
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
expect_eq "a 70 kB body: 413" "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big" "$BASE/refer")" 413
expect_eq "an unknown route: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nowhere")" 404

# --- metrics and the log ---
m=$(curl -s "$BASE/metrics")
expect_match "metrics: refer 200s" "$m" 'handoff_requests_total\{route="refer",status="200"\} [1-9]'
expect_match "metrics: refer 403s" "$m" 'handoff_requests_total\{route="refer",status="403"\} 3'
expect_match "metrics: transfer 200s" "$m" 'handoff_requests_total\{route="transfer",status="200"\} 2'
expect_match "metrics: transfer 404" "$m" 'handoff_requests_total\{route="transfer",status="404"\} 1'
expect_match "metrics: transfer 403s" "$m" 'handoff_requests_total\{route="transfer",status="403"\} 2'
expect_match "metrics: sandbox transfer" "$m" 'handoff_requests_total\{route="sandbox_transfer",status="200"\} 1'
expect_match "metrics: signature failures" "$m" '^handoff_signature_failures_total 5$'
expect_match "metrics: latency histogram" "$m" 'handoff_request_duration_seconds_bucket\{le="\+Inf"\} [0-9]+'
expect_match "metrics: live version" "$m" '^handoff_live_version 1$'
expect_match "metrics: sandbox revision" "$m" '^handoff_sandbox_revision [0-9]+'
log=$(server_log)
expect_match "startup line" "$log" "serve: listening on 127.0.0.1:$PORT .*live version 1 \(2 destinations\)"
expect_match "access log line" "$log" 'serve: POST /refer 200 [0-9.]+ms call=CA101 target="sip:billing@agent.example.com" dest=billing version=1'
expect_match "403 log explains the URL variants" "$log" 'serve: POST /refer 403 .*tried URL https://example.com/refer|tried URL http://127.0.0.1:[0-9]+/refer \(as given\); tried URL http://127.0.0.1/refer \(port removed; differs in port\)'
expect_match "404 log says why" "$log" 'serve: POST /refer 404 .*why="no destination named \\x22nobody\\x22 in the live set"'
expect_match "transfer access log line" "$log" 'serve: POST /transfer/billing 200 [0-9.]+ms call=CA200 dest=billing version=1'
expect_match "sandbox transfer log line" "$log" 'serve: POST /sandbox/transfer/billing 200 [0-9.]+ms call=CA202 dest=billing version=0'
expect_match "transfer 404 log says why" "$log" 'serve: POST /transfer/nosuch 404 .*call=CA203 .*why="no destination named \\x22nosuch\\x22 in the live set"'
expect_no_match "the token is never logged" "$log" "$TWILIO_AUTH_TOKEN"
expect_eq "one line per request" "$(grep -c '^serve: [A-Z]* ' "$T/serve.log")" "$(grep '^serve: ' "$T/serve.log" | grep -cvE '^serve: (listening on|limits:)')"

stop_server
expect_eq "SIGTERM: exit 0" "$STOP_RC" 0
finish
