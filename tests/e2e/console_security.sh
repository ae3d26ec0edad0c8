# console_security.sh: the console's defences with curl: every state-changing route (read
# from its own route table) refuses a missing CSRF token, a foreign Origin, a cross-site
# Sec-Fetch-Site and a foreign Host; no answer carries a token; the cookie's flags, the
# CSP, nothing inline; a description that carries markup renders as text; bearer scripts;
# the token file; a non-loopback address without a configured token refuses to start.
. "$(dirname "$0")/lib.sh"
export HANDOFF_DB="$T/handoff.db"
unset HANDOFF_CONSOLE_TOKEN
TOKEN="console-sec-$$-$RANDOM$RANDOM"
export TWILIO_AUTH_TOKEN="twilio-sec-$$-$RANDOM$RANDOM"
"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' --header 'X-Caller: $caller_id' \
	--description '"><svg onload=alert(1)><script>alert(2)</script>' >/dev/null
"$HANDOFF" promote -m v1 >/dev/null
"$HANDOFF" dest add front-desk --route '+14155550123' >/dev/null

CON_PID=""
CLEANUP+=('[ -n "$CON_PID" ] && kill "$CON_PID" 2>/dev/null')
start_console() { # ARGS...: handoff console on a free port; sets P, C, CON_PID
	P=$(free_port)
	C="http://127.0.0.1:$P"
	"$HANDOFF" console --listen "127.0.0.1:$P" "$@" 2>>"$T/console.log" &
	CON_PID=$!
	wait_http "$C/console/login" 10 || not_ok "the console did not start" "$(tail -5 "$T/console.log")"
}
stop_console() { kill "$CON_PID" && wait "$CON_PID"; CON_PID=""; }

# --- refusing to start ---
expect_exit "non-loopback without a configured token" 1 env -u HANDOFF_CONSOLE_TOKEN "$HANDOFF" console --listen "0.0.0.0:$(free_port)"
expect_match "says why" "$(cat "$T/err")" "^handoff: console: refusing to serve the console on 0.0.0.0:[0-9]+, a non-loopback address, without a configured token"
expect_match "and how to put it behind TLS" "$(cat "$T/err")" "hint: .*TLS proxy.*SSH tunnel"
expect_exit "a bare port (every interface) too" 1 env -u HANDOFF_CONSOLE_TOKEN "$HANDOFF" console --listen "$(free_port)"
expect_exit "serve --console too (the server does not start)" 1 env -u HANDOFF_CONSOLE_TOKEN "$HANDOFF" serve --listen "127.0.0.1:$(free_port)" --console "0.0.0.0:$(free_port)"
expect_match "serve says why" "$(cat "$T/err")" "console: refusing to serve the console on 0.0.0.0"
printf '%s\n' "$TOKEN" >"$T/open.token"
chmod 0644 "$T/open.token"
expect_exit "a token file others can read" 1 "$HANDOFF" console --listen "127.0.0.1:$(free_port)" --token-file "$T/open.token"
expect_match "says chmod" "$(cat "$T/err")" 'hint: chmod 600'
expect_exit "a short token" 1 env HANDOFF_CONSOLE_TOKEN=short "$HANDOFF" console --listen "127.0.0.1:$(free_port)"

# --- a generated token: a 0600 file, its path printed, never the token ---
start_console
tokfile="$T/.handoff-console-token"
expect_eq "the generated file is 0600" "$(stat -c %a "$tokfile" 2>/dev/null)" "600"
gen=$(head -1 "$tokfile")
expect_match "a 256-bit token" "$gen" '^[0-9a-f]{64}$'
expect_match "its path is printed" "$(cat "$T/console.log")" "made a token in $tokfile"
expect_no_match "the token is not" "$(cat "$T/console.log")" "$gen"
expect_eq "it opens the console" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $gen" "$C/console/destinations")" "200"
stop_console
start_console
expect_match "a second start reuses it" "$(cat "$T/console.log")" "the token is in $tokfile"
stop_console

# --- the rest with a configured token ---
export HANDOFF_CONSOLE_TOKEN=$TOKEN
start_console
BEARER=(-H "Authorization: Bearer $TOKEN")
# login: the form's pair, then the session cookie
login() { # sets sid, csrf; the cookie in $T/jar
	curl -s -c "$T/jar" -o /dev/null "$C/console/login"
	local pair
	pair=$(awk '$6 == "handoff_login" {print $7}' "$T/jar")
	curl -s -b "$T/jar" -c "$T/jar" -D "$T/h" -o /dev/null -H "Origin: $C" --data-urlencode "csrf=$pair" \
		--data-urlencode "token=$TOKEN" --data-urlencode 'name=Grace' "$C/console/login"
	sid=$(awk '$6 == "handoff_console" {print $7}' "$T/jar")
	csrf=$(curl -s -b "$T/jar" "$C/console/destinations" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="\(.*\)"/\1/')
}
curl -s -c "$T/jar" -o "$T/login.html" "$C/console/login"
pair=$(awk '$6 == "handoff_login" {print $7}' "$T/jar")
expect_match "the login form's pair is in the form" "$(cat "$T/login.html")" "name=\"csrf\" value=\"$pair\""
code=$(curl -s -b "$T/jar" -o /dev/null -w '%{http_code}' -H "Origin: $C" --data-urlencode "csrf=$pair" \
	--data-urlencode "token=wrong-$TOKEN" --data-urlencode 'name=Eve' "$C/console/login")
expect_eq "a wrong token: 401" "$code" "401"
login
expect_match "login: 303 to the destinations" "$(cat "$T/h")" $'^HTTP/1.1 303 .*\r\nLocation: /console/destinations'
expect_match "the cookie is HttpOnly, SameSite=Strict, Path=/console" "$(grep -i '^Set-Cookie: handoff_console=' "$T/h")" \
	'^Set-Cookie: handoff_console=[0-9a-f]{64}; Path=/console; HttpOnly; SameSite=Strict'
expect_match "pages carry the session's CSRF token" "$csrf" '^[0-9a-f]{64}$'

# --- every state-changing route, from the console's own table ---
routes=$(curl -s "${BEARER[@]}" "$C/console/api/routes" | jq -r '.[] | select(.changes) | "\(.login) \(.path)"')
expect_match "the table lists the changes" "$routes" 'true /console/promote'
n=0
while read -r login path; do
	path=${path//\*/billing}
	if [ "$login" = true ]; then
		login # afresh: the last route may have been the logout
		auth=(-b "$T/jar")
		tok=$csrf
	else # the login form: its own pair
		curl -s -c "$T/jar2" -o /dev/null "$C/console/login"
		auth=(-b "$T/jar2")
		tok=$(awk '$6 == "handoff_login" {print $7}' "$T/jar2")
	fi
	body=(--data-urlencode 'message=x' --data-urlencode 'to=1' --data-urlencode 'name=billing')
	st() { curl -s -o "$T/b" -w '%{http_code}' "${auth[@]}" "$@" "${body[@]}" "$C$path"; }
	expect_eq "$path: no CSRF token: 403" "$(st -H "Origin: $C")" "403"
	expect_match "$path: says why" "$(cat "$T/b")" 'CSRF token is missing'
	expect_eq "$path: a wrong CSRF token: 403" "$(st -H "Origin: $C" --data-urlencode "csrf=${tok//[0-9]/a}")" "403"
	expect_eq "$path: a foreign Origin: 403" "$(st -H 'Origin: http://evil.example' --data-urlencode "csrf=$tok")" "403"
	expect_match "$path: says Origin" "$(cat "$T/b")" 'another origin'
	expect_eq "$path: Origin null: 403" "$(st -H 'Origin: null' --data-urlencode "csrf=$tok")" "403"
	expect_eq "$path: Sec-Fetch-Site cross-site: 403" "$(st -H 'Sec-Fetch-Site: cross-site' --data-urlencode "csrf=$tok")" "403"
	expect_eq "$path: a foreign Host: 421" "$(st -H "Host: evil.example:$P" -H "Origin: http://evil.example:$P" --data-urlencode "csrf=$tok")" "421"
	expect_eq "$path: a rebinding Host with our own Origin: 421" "$(st -H "Host: rebind.example:$P" -H "Origin: $C" --data-urlencode "csrf=$tok")" "421"
	got=$(st -H "Origin: $C" -H 'Sec-Fetch-Site: same-origin' --data-urlencode "csrf=$tok")
	[ "$got" != 403 ] && [ "$got" != 421 ] && ok || not_ok "$path: with the token and our own Origin it passes the checks" "got $got" "$(head -c 300 "$T/b")"
	n=$((n + 1))
done <<<"$routes"
expect_eq "every state-changing route was tried" "$n" "$(curl -s "${BEARER[@]}" "$C/console/api/routes" | jq '[.[] | select(.changes)] | length')"
login # the routes above include the logout

# --- the Host check on every page (DNS rebinding) ---
expect_eq "GET with a foreign Host: 421" "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" -H 'Host: evil.example' "$C/console/destinations")" "421"
expect_eq "GET with localhost:PORT: 200" "$(curl -s -o /dev/null -w '%{http_code}' "${BEARER[@]}" -H "Host: localhost:$P" "$C/console/destinations")" "200"
expect_eq "a bearer with a foreign Host: 421" "$(curl -s -o /dev/null -w '%{http_code}' "${BEARER[@]}" -H 'Host: evil.example' "$C/console/destinations")" "421"

# --- no answer carries a token; every page has the headers and nothing inline ---
pages=(/console/destinations /console/destinations/new /console/destinations/billing/edit
	/console/destinations/billing/delete '/console/test?name=billing&target=busy' /console/promote
	/console/versions '/console/versions/compare?a=1&b=sandbox' '/console/rollback?to=1'
	/console/transfers /console/audit /console/login /console/api/routes /console/nowhere)
: >"$T/all"
for pg in "${pages[@]}"; do
	for accept in text/html application/json; do
		curl -s -D "$T/ph" -o "$T/pb" -b "$T/jar" -H "Accept: $accept" "$C$pg"
		cat "$T/ph" "$T/pb" >>"$T/all"
		expect_match "$pg ($accept): the CSP" "$(cat "$T/ph")" "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
		expect_match "$pg ($accept): nosniff, frames denied" "$(cat "$T/ph")" $'X-Content-Type-Options: nosniff\r\nReferrer-Policy: same-origin\r\nX-Frame-Options: DENY'
		expect_match "$pg ($accept): not cached" "$(cat "$T/ph")" 'Cache-Control: no-store'
		[ "$accept" = text/html ] && expect_no_match "$pg: no inline script, style or handler" "$(cat "$T/pb")" '<script>|<script [^s]|<style|style="| on[a-z]+="'
	done
done
curl -s -D "$T/ph" -o "$T/pb" "$C/console/assets/console.js"
cat "$T/ph" "$T/pb" >>"$T/all"
expect_match "the script is served with its ETag" "$(cat "$T/ph")" 'ETag: "[0-9a-f]{20}"'
etag=$(grep -i '^ETag:' "$T/ph" | tr -d '\r' | cut -d' ' -f2)
expect_eq "and 304 when unchanged" "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$C/console/assets/console.js")" "304"
expect_no_match "the script writes no markup" "$(cat "$T/pb")" 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\('
expect_no_match "no answer carries the console token" "$(cat "$T/all")" "$TOKEN"
expect_no_match "nor the Twilio token" "$(cat "$T/all")" "$TWILIO_AUTH_TOKEN"
expect_no_match "nor the session id" "$(cat "$T/all")" "$sid"

# --- markup in a description renders as text ---
curl -s -b "$T/jar" "$C/console/destinations" >"$T/list.html"
expect_match "the description is escaped" "$(cat "$T/list.html")" '&quot;&gt;&lt;svg onload=alert\(1\)&gt;&lt;script&gt;alert\(2\)&lt;/script&gt;'
expect_no_match "no raw markup from it" "$(cat "$T/list.html")" '<svg onload|<script>alert'

# --- every field's error at once, the CLI's words ---
"$HANDOFF" dest add Bad --route 4155550100 2>"$T/cli.err"
cli_route=$("$HANDOFF" dest add bad --route 4155550100 2>&1 | sed 's/^handoff: dest add bad: //')
cli_name=$("$HANDOFF" dest add Bad --route +14155550100 2>&1 | sed 's/^handoff: dest add Bad: //')
cli_timeout=$("$HANDOFF" dest add bad --route +14155550100 --timeout 3 2>&1 | sed 's/^handoff: dest add bad: //')
v=$(curl -s -b "$T/jar" -H "Origin: $C" -H "X-CSRF-Token: $csrf" -H 'Accept: application/json' \
	--data-urlencode name=Bad --data-urlencode route=4155550100 --data-urlencode timeout=3 \
	--data-urlencode header_name=X-A --data-urlencode header_value='$nope' "$C/console/api/validate")
expect_eq "validate: the fields with errors" "$(jq -r '[.errors[].field] | join(",")' <<<"$v")" "name,route,header,timeout"
expect_eq "validate: the name's message is the CLI's" "$(jq -r '.errors[0].msg' <<<"$v")" "$cli_name"
expect_eq "validate: the route's message is the CLI's" "$(jq -r '.errors[1].msg' <<<"$v")" "$cli_route"
expect_eq "validate: the timeout's message is the CLI's" "$(jq -r '.errors[3].msg' <<<"$v")" "$cli_timeout"
expect_eq "validate: no TwiML while refused" "$(jq -r .twiml <<<"$v")" "null"
v=$(curl -s -b "$T/jar" -H "Origin: $C" -H "X-CSRF-Token: $csrf" -H 'Accept: application/json' \
	--data-urlencode name=ok --data-urlencode 'route=sip:ok@pbx.example.com' \
	--data-urlencode header_name=X-Caller --data-urlencode header_value='$caller_id' "$C/console/api/validate")
expect_eq "validate: the TwiML is dest preview's" "$(jq -r .twiml <<<"$v")" \
	"$(printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' '<Response>' '  <Dial answerOnBridge="true">' '    <Sip>sip:ok@pbx.example.com?X-Caller=%2B14155550100</Sip>' '  </Dial>' '</Response>')"
# the form without the script: a refused save answers 422 with every message in the page
code=$(curl -s -o "$T/form.html" -w '%{http_code}' -b "$T/jar" -H "Origin: $C" --data-urlencode "csrf=$csrf" \
	--data-urlencode name=new-one --data-urlencode route=4155550100 --data-urlencode timeout=x --data-urlencode action=save "$C/console/destinations")
expect_eq "a refused save: 422" "$code" "422"
expect_match "the route's message in the page" "$(cat "$T/form.html")" 'id="error-route" data-error-for="route">route &quot;4155550100&quot; is not E.164'
expect_match "the timeout's too" "$(cat "$T/form.html")" 'id="error-timeout" data-error-for="timeout">timeout &quot;x&quot; is not a number of seconds'
expect_exit "nothing was saved" 1 "$HANDOFF" dest show new-one

# --- bearer scripts: JSON, no CSRF, the audit says "api" ---
j=$(curl -s "${BEARER[@]}" -H 'Accept: application/json' --data-urlencode name=scripted \
	--data-urlencode 'route=+14155550177' "$C/console/destinations")
expect_eq "a script adds with a bearer token" "$(jq -r '.ok' <<<"$j")" "true"
check "the CLI sees it" "$HANDOFF" dest show scripted
expect_eq "the audit names the script" "$("$HANDOFF" audit 1 --json | jq -r '.[0] | "\(.author) \(.action) \(.dest)"')" "api add scripted"
expect_eq "a bearer that is wrong: 401" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$C/console/destinations")" "401"

# --- logout ends the session ---
curl -s -o /dev/null -b "$T/jar" -H "Origin: $C" --data-urlencode "csrf=$csrf" "$C/console/logout"
expect_eq "after logout the cookie opens nothing" "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/jar" -H 'Accept: application/json' "$C/console/destinations")" "401"

# --- too many wrong tokens: logins are refused for a while ---
for i in 1 2 3 4 5 6; do
	curl -s -c "$T/j3" -o /dev/null "$C/console/login"
	pair=$(awk '$6 == "handoff_login" {print $7}' "$T/j3")
	code=$(curl -s -b "$T/j3" -o /dev/null -w '%{http_code}' -H "Origin: $C" --data-urlencode "csrf=$pair" \
		--data-urlencode "token=guess-$i" --data-urlencode 'name=Mallory' "$C/console/login")
done
expect_eq "the sixth guess in a minute: 429" "$code" "429"
code=$(curl -s -b "$T/j3" -o /dev/null -w '%{http_code}' -H "Origin: $C" --data-urlencode "csrf=$pair" \
	--data-urlencode "token=$TOKEN" --data-urlencode 'name=Grace' "$C/console/login")
expect_eq "even the right token waits" "$code" "429"
stop_console
finish
