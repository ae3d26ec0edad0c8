# console_browser.sh: the seeds' workflow in a real browser (Debian's chromium, headless,
# driven over W3C WebDriver): log in, add a destination with a header using $caller_id,
# see a refused route's message before saving, test it in sandbox and find the REFER arrow
# in the ladder, promote with a message; then a signed /refer to the running server answers
# the new TwiML. And the same with opening hours and a failover route: a refused zone's
# message (the CLI's) before saving, both in the list with which destination answers now,
# the failover tried in the sandbox, a changed schedule field by field on Promote; the
# command line the form shows, run in a shell, makes the same destination. A screenshot of
# each page goes to $CONSOLE_SHOTS (default: a temporary folder;
# scripts/console-screenshots.sh keeps them in docs/console/).
. "$(dirname "$0")/lib.sh"
# backends: sqlite postgresql (the console cannot tell which holds the store)
. "$(dirname "$0")/serve_lib.bash"
. "$(dirname "$0")/webdriver.bash"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
	skip "console_browser: chromium and chromium-driver are not installed (bash scripts/install-deps.sh installs them)"
	finish
	exit 0
fi
SHOTS=${CONSOLE_SHOTS:-$T/shots}
mkdir -p "$SHOTS"
export HANDOFF_CONSOLE_TOKEN="console-e2e-$$-$RANDOM$RANDOM"
"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' --description 'Billing desk' \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason' >/dev/null
"$HANDOFF" dest add front-desk --route '+14155550123' --description 'Front desk, 9-5' >/dev/null
"$HANDOFF" promote -m "the example set" >/dev/null
CPORT=$(free_port)
CON="http://127.0.0.1:$CPORT"
start_server --agent 'sip:agent@pbx.example.com' --console "127.0.0.1:$CPORT" || { finish; exit 1; }
wait_http "$CON/console/login" 10 || not_ok "the console did not start" "$(tail -5 "$T/serve.log")"

# scratch: a copy of the sandbox in $T/scratch.db (by export and import: the server has the
# database open). cli_line LINE: runs a command line the console shows, as a person pastes it
# into a shell, against that copy.
scratch() {
	rm -f "$T"/scratch.db*
	"$HANDOFF" export --env sandbox -o "$T/sandbox.json" && "$HANDOFF" import "$T/sandbox.json" --db "$T/scratch.db" >/dev/null
}
cli_line() {
	(
		handoff() { "$HANDOFF" "$@"; }
		export HANDOFF_DB="$T/scratch.db"
		eval "$1"
	) >"$T/cli.out" 2>"$T/cli.err"
}
# shown NAME [DB]: a destination as 'dest show --json' has it
shown() { "$HANDOFF" dest show "$1" --json ${2:+--db "$2"}; }

wd_start || { not_ok "chromium did not start over WebDriver" "$(cat "$T/wd-error.json" 2>/dev/null)" "$(tail -5 "$T/chromedriver.log")"; finish; exit 1; }
ok

# --- log in ---
wd_get "$CON/console/destinations"
expect_match "not logged in: the login page" "$(wd_url)" '/console/login$'
wd_shot "$SHOTS/login.png"
wd_type '#token' "$HANDOFF_CONSOLE_TOKEN"
wd_type '#name' 'Ada (front desk)'
wd_click '#login'
wd_wait_url '/console/destinations$' 10 && ok || not_ok "login lands on Destinations" "$(wd_url)"
expect_match "the list shows billing" "$(wd_text '#dests')" 'billing'
cookie=$(wd_js 'return document.cookie;')
expect_eq "the session cookie is HttpOnly (the page's script cannot read it)" "$cookie" '""'

# --- add a destination: the refused route's message shows before saving ---
wd_click '#add'
wd_wait_url '/console/destinations/new$' 10 && ok || not_ok "Add handoff opens the form" "$(wd_url)"
wd_type '#f-name' 'vip-desk'
wd_type '#f-description' 'VIP host desk'
wd_type '#f-route' '4155550100'
if wd_wait_text '#error-route' 'route "4155550100" is not E.164: write \+ and the country code, e.g. \+14155550100' 10; then ok; else
	not_ok "the CLI's message for the route shows as you type" "$(wd_text '#error-route')"
fi
expect_eq "nothing was saved yet" "$(curl -s -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" -H 'Accept: application/json' "$CON/console/destinations" | jq '[.destinations[].name] | index("vip-desk")')" "null"
expect_eq "no TwiML for a refused route" "$(wd_text '#preview')" ""
wd_shot "$SHOTS/edit-refused.png"
wd_clear '#f-route'
wd_type '#f-route' 'sip:vip@pbx.example.com;transport=tls'
wd_type '.hdr-row input[name=header_name]' 'X-Caller'
wd_type '.hdr-row input[name=header_value]' '$caller_id'
if wd_wait_text '#preview' 'sip:vip@pbx.example.com;transport=tls\?X-Caller=%2B14155550100' 10; then ok; else
	not_ok "the preview shows the TwiML with the header" "$(wd_text '#preview')"
fi
expect_eq "the route's message is gone" "$(wd_text '#error-route')" ""
expect_match "the command line follows the form" "$(wd_text '#cmdline')" "handoff dest add vip-desk --description 'VIP host desk' --route 'sip:vip@pbx.example.com;transport=tls' --header 'X-Caller: \\\$caller_id'"
wd_shot "$SHOTS/edit.png"
wd_click '#save'
wd_wait_url 'saved=vip-desk' 10 && ok || not_ok "Save goes back to the list" "$(wd_url)"
expect_match "the list says it is sandbox only" "$(wd_text 'tr[data-name=vip-desk]')" 'sandbox only'
expect_match "the banner counts it" "$(wd_text '.banner')" '1 added, 0 changed, 0 removed'

# --- a destination with opening hours and a failover route, through the form ---
wd_click '#add'
wd_wait_url '/console/destinations/new$' 10 && ok || not_ok "Add handoff opens the form again" "$(wd_url)"
wd_type '#f-name' 'desk-hours'
wd_type '#f-description' 'Front desk, two PBXs, in hours'
wd_type '#f-route' 'sip:desk@pbx1.example.com'
wd_type '#f-failover' 'sip:desk@pbx2.example.com'
wd_type '#f-tz' 'Mars/Olympus'
wd_type '#f-open' $'mon-fri 08:00-18:00\nsat 10:00-14:00'
wd_type '#f-closed' '2026-12-25'
wd_type '#f-otherwise' 'front-desk'
# the CLI's own refusal of the same, on a copy of the sandbox
scratch
"$HANDOFF" dest add desk-hours --route 'sip:desk@pbx1.example.com' --failover 'sip:desk@pbx2.example.com' \
	--tz Mars/Olympus --open 'mon-fri 08:00-18:00' --open 'sat 10:00-14:00' --closed 2026-12-25 \
	--otherwise front-desk --db "$T/scratch.db" 2>"$T/zone.err" >/dev/null
zone_msg=$(head -1 "$T/zone.err")
expect_match "the CLI refuses the zone" "$zone_msg" '^handoff: dest add desk-hours: unknown time zone Mars/Olympus: '
zone_msg=${zone_msg#handoff: dest add desk-hours: }
if wd_wait_text '#error-hours' 'unknown time zone Mars/Olympus' 10; then ok; else
	not_ok "the refused zone's message shows as you type" "$(wd_text '#error-hours')"
fi
expect_eq "in the CLI's words, beside the hours" "$(wd_text '#error-hours')" "$zone_msg"
expect_eq "nothing was saved" "$(curl -s -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" -H 'Accept: application/json' "$CON/console/destinations" | jq '[.destinations[].name] | index("desk-hours")')" "null"
wd_shot "$SHOTS/edit-hours-refused.png"
wd_clear '#f-tz'
wd_type '#f-tz' 'America/Los_Angeles'
if wd_wait_text '#preview' '<Uri priority="2">sip:desk@pbx2.example.com</Uri>' 10; then ok; else
	not_ok "the preview tries the failover route second" "$(wd_text '#preview')"
fi
expect_eq "the zone's message is gone" "$(wd_text '#error-hours')" ""
want_line="handoff dest add desk-hours --description 'Front desk, two PBXs, in hours' --route sip:desk@pbx1.example.com --failover sip:desk@pbx2.example.com --tz America/Los_Angeles --open 'mon-fri 08:00-18:00' --open 'sat 10:00-14:00' --closed 2026-12-25 --otherwise front-desk"
expect_eq "the command line follows the form" "$(wd_text '#cmdline')" "$want_line"
scratch
cli_line "$(wd_text '#cmdline')" && ok || not_ok "the command line runs" "$(cat "$T/cli.err")"
wd_shot "$SHOTS/edit-hours.png"
wd_click '#save'
wd_wait_url 'saved=desk-hours' 10 && ok || not_ok "Save goes back to the list" "$(wd_url)" "$(wd_text 'main' 2>&1 | head -5)"
expect_eq "the command line made the same destination as the form" "$(shown desk-hours "$T/scratch.db")" "$(shown desk-hours)"
row=$(wd_text 'tr[data-name=desk-hours]')
expect_match "the list shows the failover route under the route" "$row" 'sip:desk@pbx1.example.com'$'\n''failover sip:desk@pbx2.example.com'
expect_match "and the schedule" "$row" 'America/Los_Angeles'$'\n''mon-fri 08:00-18:00'$'\n''sat 10:00-14:00'$'\n''closed 2026-12-25'$'\n''otherwise front-desk'
now1=$("$HANDOFF" dest show desk-hours | sed -n 's/^now: *//p')
now_cell=$(wd_text 'tr[data-name=desk-hours] td.c-now')
now2=$("$HANDOFF" dest show desk-hours | sed -n 's/^now: *//p')
expect_match "and which destination answers now, as dest show says" "$now1" '^(open|closed.* -> front-desk)$'
if [ "$now_cell" = "$now1" ] || [ "$now_cell" = "$now2" ]; then ok; else not_ok "the Now column says what the CLI says" "console: $now_cell" "cli: $now1"; fi
expect_eq "a destination without hours has no Now" "$(wd_text 'tr[data-name=vip-desk] td.c-now')" ""
expect_match "the search finds a failover route" "$(curl -s -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" -H 'Accept: application/json' "$CON/console/destinations?q=pbx2" | jq -c '[.destinations[].name]')" '^\["desk-hours"\]$'
wd_shot "$SHOTS/destinations.png"

# --- the form works without JavaScript: the server says every error, then saves ---
nojs() { # FIELDS...: the form posted as a browser without the script would (a bearer script here)
	local args=()
	for kv in "$@"; do args+=(--data-urlencode "$kv"); done
	curl -s -o "$T/nojs.html" -w '%{http_code}' -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" \
		--data-urlencode mode=add --data-urlencode action=save "${args[@]}" "$CON/console/destinations"
}
expect_eq "an unknown zone without the script: 422" "$(nojs name=nojs-desk route=sip:n@pbx1.example.com \
	failover=$'sip:n@pbx2.example.com\r\nsip:n@pbx3.example.com' tz=Mars/Olympus $'open=mon-fri 08:00-18:00' otherwise=front-desk)" "422"
expect_match "its message beside the hours" "$(tr -d '\n' <"$T/nojs.html")" 'data-error-for="hours">unknown time zone Mars/Olympus: it is not in'
expect_match "the failover routes kept, one a line" "$(cat "$T/nojs.html")" 'sip:n@pbx2.example.com'$'\n''sip:n@pbx3.example.com</textarea>'
expect_eq "fixed, it saves: 303" "$(nojs name=nojs-desk route=sip:n@pbx1.example.com \
	failover=$'sip:n@pbx2.example.com\r\nsip:n@pbx3.example.com' tz=Europe/London $'open=daily 00:00-24:00' otherwise=front-desk)" "303"
expect_eq "both failover routes, in order" "$(shown nojs-desk | jq -c .failover)" '["sip:n@pbx2.example.com","sip:n@pbx3.example.com"]'
"$HANDOFF" dest rm nojs-desk >/dev/null

# --- test in sandbox: the ladder has the REFER ---
wd_get "$CON/console/test"
wd_click '#t-name option[value=vip-desk]'
wd_click '#run'
if wd_wait_text '#verdict' 'The transfer works' 15; then ok; else not_ok "the test's verdict" "$(wd_text '#verdict' 2>&1)"; fi
expect_match "the verdict names the destination" "$(wd_text '#verdict')" 'the caller is bridged to vip-desk'
expect_eq "the ladder has one REFER arrow" "$(wd_count 'svg.ladder g.msg[data-method="REFER"]')" "1"
expect_eq "it goes from the agent to Twilio" \
	"$(wd_js 'var g = document.querySelector("svg.ladder g.msg[data-method=REFER]"); return g.getAttribute("data-from") + ">" + g.getAttribute("data-to");')" \
	'"agent>Twilio"'
expect_match "the ladder's INVITE to the target carries the header" \
	"$(wd_js 'var t = []; document.querySelectorAll("svg.ladder g.msg[data-to=target] title").forEach(function (e) { t.push(e.textContent); }); return t.join(" | ");')" \
	'X-Caller: \+14155550100'
expect_match "NOTIFY 200 is drawn" "$(wd_js 'return document.querySelectorAll("svg.ladder g.msg[data-method=NOTIFY]").length;')" '^2$'
expect_match "the legs" "$(wd_text '#legs')" 'B +B +outbound-dial +in-progress'
expect_match "the header the target receives" "$(wd_text '#target-headers')" 'X-Caller: \+14155550100'
wd_shot "$SHOTS/test.png"

# --- the failover in the sandbox: the route busy, the failover route answers, in hours ---
wd_get "$CON/console/test?name=desk-hours"
expect_match "a select for what the failover route does" "$(wd_text '#t-routes')" 'Failover 1 sip:desk@pbx2.example.com'
wd_click '#t-target option[value=busy]'
wd_click '#t-target-1 option[value=answer]'
wd_type '#t-at' '2026-12-23T10:00'
wd_click '#run'
if wd_wait_text '#verdict' 'The transfer works' 15; then ok; else not_ok "the failover test's verdict" "$(wd_text '#verdict' 2>&1)"; fi
expect_match "bridged to the failover route after the busy one" "$(wd_text '#verdict')" 'the caller is bridged to desk-hours \(sip:desk@pbx2.example.com\), after 1 route that did not answer'
expect_match "the routes tried" "$(wd_text '#tried')" '1 B sip:desk@pbx1.example.com busy passed over'$'\n''2 C sip:desk@pbx2.example.com in-progress bridged'
expect_eq "the ladder has a lane for each route" "$(wd_js 'var t = []; document.querySelectorAll("svg.ladder .lane-name").forEach(function (e) { t.push(e.textContent); }); return t.join(",");')" '"caller,Twilio,agent,handoff,target B,target C"'
expect_eq "an INVITE to each" "$(wd_count 'svg.ladder g.msg[data-method="INVITE"][data-to-leg="B"]'),$(wd_count 'svg.ladder g.msg[data-method="INVITE"][data-to-leg="C"]')" "1,1"
expect_match "the route passed over is a note" "$(wd_js 'var t = []; document.querySelectorAll("svg.ladder g.msg.k-dial title").forEach(function (e) { t.push(e.textContent); }); return t.join(" | ");')" '<Uri> 1 of 2 busy'
expect_eq "the command line" "$(wd_text 'section.cmdline code')" "handoff dest test desk-hours --target busy,answer --at 2026-12-23T10:00"
wd_shot "$SHOTS/test-failover.png"
tj=$(curl -s -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" -H 'Accept: application/json' "$CON/console/test?name=desk-hours&target=busy,answer&at=2026-12-23T10:00")
expect_eq "a comma list, as --target takes it: the same test" "$(jq -r '[.ok, .target, (.targets | length)] | join(" ")' <<<"$tj")" "true busy,answer 2"
expect_eq "the ladder's JSON names the lanes" "$(jq -r '[.ladder[] | select(.method == "INVITE") | .to_lane] | join(",")' <<<"$tj")" "Twilio,agent,target B,target C"
expect_eq "six outcomes for five routes at most: 400" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $HANDOFF_CONSOLE_TOKEN" "$CON/console/test?name=desk-hours&target=busy,busy,busy,busy,busy,answer")" "400"
wd_get "$CON/console/test?name=desk-hours&at=2026-12-25T10:00"
if wd_wait_text '#verdict' 'The transfer works' 15; then ok; else not_ok "the closed date's verdict" "$(wd_text '#verdict' 2>&1)"; fi
expect_match "on a closed date front-desk answers" "$(wd_text '#answered-by')" 'answered by front-desk: desk-hours is closed at 2026-12-25T10:00:00-08:00 \(PST\)'

# --- promote with a message ---
wd_get "$CON/console/promote"
expect_match "promote shows the new destination" "$(wd_text '#changes')" 'added +vip-desk'
expect_match "and the one with hours, field by field" "$(wd_text 'section.change[data-name=desk-hours]')" 'failover +sip:desk@pbx2.example.com'$'\n''.*tz +America/Los_Angeles'$'\n''open +mon-fri 08:00-18:00, sat 10:00-14:00'$'\n''closed +2026-12-25'$'\n''otherwise +front-desk'
expect_match "and the TwiML it will answer" "$(wd_text '#changes')" 'sip:vip@pbx.example.com;transport=tls\?X-Caller=%2B14155550100'
wd_shot "$SHOTS/promote.png"
wd_click '#promote' # no message, no confirmation: the browser keeps the form
expect_match "an empty form is not sent" "$(wd_url)" '/console/promote$'
wd_type '#message' 'add the VIP desk'
wd_click '#confirm'
wd_click '#promote'
wd_wait_url 'promoted=2' 10 && ok || not_ok "promote lands on Versions" "$(wd_url)"
expect_match "version 2 is live, by the login's name" "$(wd_text '#versions')" '2 live .*Ada \(front desk\) +4 +add the VIP desk'
wd_shot "$SHOTS/versions.png"

# --- the running server answers the new TwiML on a signed /refer ---
sleep 1.2 # the server notices the promote within a second
hook POST /refer CallSid=CA0123456789abcdef0123456789abcdef From=+14155550111 To=+14155550199 \
	'ReferTransferTarget=<sip:vip-desk@agent.example.com>'
expect_eq "signed /refer: 200" "$STATUS" "200"
expect_match "it answers the new destination's TwiML" "$(cat "$T/body")" '<Sip>sip:vip@pbx.example.com;transport=tls\?X-Caller=%2B14155550111</Sip>'
hook POST /refer CallSid=CA0123456789abcdef0123456789abcdef 'ReferTransferTarget=<sip:nobody@agent.example.com>'
expect_eq "an unknown name: 404" "$STATUS" "404"
hook POST /refer CallSid=CA0123456789abcdef0123456789abcdef From=+14155550111 To=+14155550199 \
	'ReferTransferTarget=<sip:desk-hours@agent.example.com>'
want=$("$HANDOFF" dest preview desk-hours --env live From=+14155550111 2>/dev/null | tr -d '\n')
expect_eq "the schedule saved in the console: /refer answers what dest preview --at now says" "$(tr -d '\n' <"$T/body")" "$want"

# --- recent transfers and the audit log ---
wd_get "$CON/console/transfers"
expect_match "the transfer is in Recent transfers" "$(wd_text '#transfers')" 'POST refer +200 +CA0123456789abcdef0123456789abcdef .*vip-desk +live 2'
expect_match "the refused one says why" "$(wd_text '#transfers')" 'POST refer +404 .*nobody'
wd_shot "$SHOTS/transfers.png"
wd_get "$CON/console/audit"
expect_match "the audit has the add by the login name" "$(wd_text '#audit')" 'Ada \(front desk\) +add +vip-desk +description: VIP host desk; route: sip:vip@pbx.example.com;transport=tls; header X-Caller: \$caller_id'
expect_match "and the promote" "$(wd_text '#audit')" 'Ada \(front desk\) +promote +version 2'
expect_match "and the CLI's changes by the user" "$(wd_text '#audit')" "${USER:-root} +promote +version 1"
wd_shot "$SHOTS/audit.png"

# --- a changed schedule and failover list: the set line, and Promote field by field ---
wd_get "$CON/console/destinations/desk-hours/edit"
wd_clear '#f-open'
wd_type '#f-open' $'mon-fri 09:00-17:00\nsat 10:00-14:00'
wd_type '#f-failover' $'\nsip:desk@pbx3.example.com'
if wd_wait_text '#preview' '<Uri priority="3">sip:desk@pbx3.example.com</Uri>' 10; then ok; else
	not_ok "the preview has the third route" "$(wd_text '#preview')"
fi
want_line="handoff dest set desk-hours --description 'Front desk, two PBXs, in hours' --route sip:desk@pbx1.example.com --clear-failover --failover sip:desk@pbx2.example.com --failover sip:desk@pbx3.example.com --caller-id '' --timeout 0 --clear-hours --tz America/Los_Angeles --open 'mon-fri 09:00-17:00' --open 'sat 10:00-14:00' --closed 2026-12-25 --otherwise front-desk --clear-headers"
expect_eq "the set line follows the form" "$(wd_text '#cmdline')" "$want_line"
scratch
cli_line "$(wd_text '#cmdline')" && ok || not_ok "the set line runs" "$(cat "$T/cli.err")"
wd_click '#save'
wd_wait_url 'saved=desk-hours' 10 && ok || not_ok "the edit is saved" "$(wd_url)"
expect_eq "the set line made the same change as the form" "$(shown desk-hours "$T/scratch.db")" "$(shown desk-hours)"
wd_get "$CON/console/promote"
blk=$(wd_text 'section.change[data-name=desk-hours]')
expect_match "promote: the failover list, before and after" "$blk" 'failover +sip:desk@pbx2.example.com +sip:desk@pbx2.example.com, sip:desk@pbx3.example.com'
expect_match "promote: the opening ranges, before and after" "$blk" 'open +mon-fri 08:00-18:00, sat 10:00-14:00 +mon-fri 09:00-17:00, sat 10:00-14:00'
expect_no_match "promote: the fields that did not change are not listed" "$blk" 'tz +America|closed +2026|otherwise +front-desk'
expect_match "and the TwiML it will answer" "$blk" '<Uri priority="3">sip:desk@pbx3.example.com</Uri>'
wd_shot "$SHOTS/promote-hours.png"
wd_get "$CON/console/audit"
expect_match "the audit log has the change, field by field" "$(wd_text '#audit')" 'Ada \(front desk\) +set +desk-hours +failover: sip:desk@pbx2.example.com -> sip:desk@pbx2.example.com, sip:desk@pbx3.example.com; open: mon-fri 08:00-18:00, sat 10:00-14:00 -> mon-fri 09:00-17:00, sat 10:00-14:00'

# --- an edit, and a description that tries to inject markup renders as text ---
wd_get "$CON/console/destinations/billing/edit"
wd_clear '#f-description'
wd_type '#f-description' '"><svg onload=alert(1)><b>x</b>'
wd_click '#save'
wd_wait_url 'saved=billing' 10 && ok || not_ok "the edit is saved" "$(wd_url)"
expect_match "the description shows as text" "$(wd_text 'tr[data-name=billing]')" '"><svg onload=alert\(1\)><b>x</b>'
expect_eq "no element was injected" "$(wd_js 'return document.querySelectorAll("tr[data-name=billing] svg, tr[data-name=billing] b + b").length;')" "0"
wd_alert_open && not_ok "an injected script ran (an alert is open)" || ok
wd_get "$CON/console/versions/compare?a=2&b=sandbox"
expect_match "compare shows the change" "$(wd_text 'main')" 'changed +billing'
wd_shot "$SHOTS/compare.png"
wd_get "$CON/console/rollback?to=1"
wd_shot "$SHOTS/rollback.png"

# --- log out ---
wd_get "$CON/console/destinations"
wd_click 'form.logout button'
wd_wait_url '/console/login$' 10 && ok || not_ok "logout goes to the login page" "$(wd_url)"
wd_get "$CON/console/destinations"
expect_match "after logout the pages need a login again" "$(wd_url)" '/console/login$'
expect_no_match "no page showed a token" "$(cat "$T/serve.log")" "$HANDOFF_CONSOLE_TOKEN|$TWILIO_AUTH_TOKEN"
finish
