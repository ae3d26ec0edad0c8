# console_browser.sh: the seeds' workflow in a real browser (Debian's chromium, headless,
# driven over W3C WebDriver): log in, add a destination with a header using $caller_id,
# see a refused route's message before saving, test it in sandbox and find the REFER arrow
# in the ladder, promote with a message; then a signed /refer to the running server answers
# the new TwiML. A screenshot of each page goes to $CONSOLE_SHOTS (default: a temporary
# folder; scripts/console-screenshots.sh keeps them in docs/console/).
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
wd_shot "$SHOTS/destinations.png"

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

# --- promote with a message ---
wd_get "$CON/console/promote"
expect_match "promote shows the new destination" "$(wd_text '#changes')" 'added +vip-desk'
expect_match "and the TwiML it will answer" "$(wd_text '#changes')" 'sip:vip@pbx.example.com;transport=tls\?X-Caller=%2B14155550100'
wd_shot "$SHOTS/promote.png"
wd_click '#promote' # no message, no confirmation: the browser keeps the form
expect_match "an empty form is not sent" "$(wd_url)" '/console/promote$'
wd_type '#message' 'add the VIP desk'
wd_click '#confirm'
wd_click '#promote'
wd_wait_url 'promoted=2' 10 && ok || not_ok "promote lands on Versions" "$(wd_url)"
expect_match "version 2 is live, by the login's name" "$(wd_text '#versions')" '2 live .*Ada \(front desk\) +3 +add the VIP desk'
wd_shot "$SHOTS/versions.png"

# --- the running server answers the new TwiML on a signed /refer ---
sleep 1.2 # the server notices the promote within a second
hook POST /refer CallSid=CA0123456789abcdef0123456789abcdef From=+14155550111 To=+14155550199 \
	'ReferTransferTarget=<sip:vip-desk@agent.example.com>'
expect_eq "signed /refer: 200" "$STATUS" "200"
expect_match "it answers the new destination's TwiML" "$(cat "$T/body")" '<Sip>sip:vip@pbx.example.com;transport=tls\?X-Caller=%2B14155550111</Sip>'
hook POST /refer CallSid=CA0123456789abcdef0123456789abcdef 'ReferTransferTarget=<sip:nobody@agent.example.com>'
expect_eq "an unknown name: 404" "$STATUS" "404"

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
