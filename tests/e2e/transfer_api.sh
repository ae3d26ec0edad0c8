# transfer_api.sh: the Voice API transfer end to end: the emulator runs a call whose agent
# answered with <Connect><Stream>; 'handoff twilio calls transfer' updates it to
# 'handoff serve' /transfer/billing; the caller ends bridged to billing's route with its
# headers. Also calls list/show, --sandbox, --dry-run, --json, a call not in progress and an
# unknown name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"
. "$(dirname "$0")/helpers/emulator.sh"

# one token: the emulator signs its webhooks with it, serve checks them, the CLI logs in
export TWILIO_AUTH_TOKEN=$TOK TWILIO_ACCOUNT_SID=$AC
setup_dests || { not_ok "setting up destinations"; finish; exit 1; }
start_server --db "$HANDOFF_DB" || { finish; exit 1; }
SBASE=$BASE
start_emulator
A=/2010-04-01/Accounts/$AC

STREAM='<Response><Connect><Stream url="wss://agent.example.com/media" name="ai-agent"><Parameter name="lead" value="7"/></Stream></Connect></Response>'
# new_call: an outbound AI call answered with <Connect><Stream>; its SID in $CA once live
new_call() {
	CA=$(api POST "$A/Calls.json" To=+14155550111 From=+14155550199 "Twiml=$STREAM" | jq -r .sid)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(api GET "$A/Calls/$CA.json" | jq -r .status)" = in-progress ] && return 0
		sleep 0.05
	done
	return 1
}
events() { curl -s --max-time 10 "$BASE/emulator/calls/$1/events"; }
emu_call() { curl -s --max-time 10 "$BASE/emulator/calls/$1"; }

new_call
expect_match "a live <Connect><Stream> call" "$CA" '^CA[0-9a-f]{32}$'
expect_eq "connected to the stream" "$(emu_call "$CA" | jq -c .connected)" '["caller<->stream"]'

tw "calls list" 0 calls list
expect_match "calls list shows it live" "$(cat "$T/out")" "^$CA +in-progress +outbound-api +\+14155550199 +\+14155550111 +-$"
expect_match "calls list counts" "$(cat "$T/out")" '^1 live call$'
tw "calls show" 0 calls show "$CA"
expect_match "calls show: status" "$(cat "$T/out")" '^Status +in-progress$'
expect_match "calls show: no children yet" "$(cat "$T/out")" '^Children +none$'

tw "calls transfer --dry-run" 0 calls transfer "$CA" billing --public-url "$SBASE" --dry-run
expect_match "dry run prints the update" "$(cat "$T/out")" "^update: +Url=$SBASE/transfer/billing Method=POST \(dry run\)$"
expect_eq "dry run: still with the stream" "$(emu_call "$CA" | jq -c .connected)" '["caller<->stream"]'

# --- the transfer ---
tw "calls transfer billing" 0 calls transfer "$CA" billing --public-url "$SBASE/"
out=$(cat "$T/out")
expect_match "before: in progress" "$out" '^before: +in-progress$'
expect_match "the update sent" "$out" "^update: +Url=$SBASE/transfer/billing Method=POST$"
expect_match "after: a child call to billing" "$out" '^children +CA[0-9a-f]{32} in-progress +-> sip:billing@pbx.example.com\?X-Caller=%2B14155550199&X-Call=CA'
C=$(emu_call "$CA")
expect_eq "the caller is bridged to billing" "$(jq -c .connected <<<"$C")" '["B<->caller"]'
expect_eq "the stream stopped" "$(jq -c '[.streams[] | .open]' <<<"$C")" '[false]'
E=$(events "$CA")
expect_eq "the emulator fetched /transfer/billing, signed" \
	"$(jq -r --arg u "$SBASE/transfer/billing" '[.[] | select(.kind == "webhook" and .text == "Call update POST \($u)") | (.signature != null)] | join(",")' <<<"$E")" true
expect_eq "serve answered 200" "$(jq -r '[.[] | select(.kind == "answer")] | last | .code' <<<"$E")" 200
expect_eq "billing's INVITE carries its headers" \
	"$(jq -r '[.[] | select(.kind == "sip" and .leg == "B") | .text] | first' <<<"$E")" \
	"INVITE sip:billing@pbx.example.com with headers X-Caller: +14155550199; X-Call: $CA"
expect_eq "the stream's parameters are in the timeline" "$(jq -r '[.[] | select(.kind == "stream")][0].params.lead' <<<"$E")" 7
log=$(server_log)
expect_match "serve logged the transfer" "$log" "serve: POST /transfer/billing 200 [0-9.]+ms call=$CA dest=billing version=1"
expect_match "metrics count it" "$(curl -s "$SBASE/metrics")" 'handoff_requests_total\{route="transfer",status="200"\} 1'

# again, now in a <Dial>: the bridge to billing ends, front-desk is dialled
tw "transfer a call already in a <Dial>" 0 calls transfer "$CA" front-desk --public-url "$SBASE" --json
expect_eq "--json: before had billing" "$(jq -r '.before.children[0].status' "$T/out")" in-progress
expect_eq "--json: after, billing completed and front-desk live" \
	"$(jq -r '[.after.children[] | "\(.status) \(.to)"] | join(",")' "$T/out")" \
	"completed sip:billing@pbx.example.com?X-Caller=%2B14155550199&X-Call=$CA,in-progress +14155550123"
expect_eq "bridged to front-desk" "$(emu_call "$CA" | jq -c .connected)" '["C<->caller"]'

# --- a call not in progress: nothing is sent, exit 1 with the reason ---
expect_eq "hang up through the API" "$(api POST "$A/Calls/$CA.json" Status=completed | jq -r .status)" completed
n_before=$(events "$CA" | jq '[.[] | select(.kind == "webhook")] | length')
tw "transfer a completed call" 1 calls transfer "$CA" billing --public-url "$SBASE"
expect_match "says why" "$(cat "$T/err")" "^handoff: calls transfer $CA: the call is completed, not in progress: only a live call can be transferred$"
expect_eq "no webhook was sent" "$(events "$CA" | jq '[.[] | select(.kind == "webhook")] | length')" "$n_before"

# --- --sandbox: the sandbox's billing ---
new_call
tw "calls transfer --sandbox" 0 calls transfer "$CA" billing --public-url "$SBASE" --sandbox
expect_match "sandbox billing is v2" "$(cat "$T/out")" 'in-progress +-> sip:billing-v2@pbx.example.com\?X-Caller='
expect_match "serve logged the sandbox route" "$(server_log)" "serve: POST /sandbox/transfer/billing 200 .*call=$CA dest=billing version=0"

# --- an unknown name: serve answers 404; the call cannot use the answer and ends ---
new_call
tw "transfer to a name that is not there" 0 calls transfer "$CA" nosuch --public-url "$SBASE"
expect_match "after: the call ended" "$(cat "$T/out")" '^after: +completed$'
expect_eq "the emulator saw 11217 (HTTP 404)" "$(events "$CA" | jq -r '[.[] | select(.kind == "error")][0].code')" 11217
expect_match "serve logged the 404" "$(server_log)" "serve: POST /transfer/nosuch 404 .*call=$CA .*why=\"no destination named \\\\x22nosuch\\\\x22 in the live set\""

# --- usage ---
tw "a bad call SID" 2 calls transfer CA123 billing --public-url "$SBASE"
tw "no --public-url" 2 calls transfer "$CA" billing
tw "a bad name" 2 calls transfer "$CA" 'Bill ing' --public-url "$SBASE"
tw "show a call that is not there" 1 calls show CA00000000000000000000000000000000
expect_match "20404 named" "$(cat "$T/err")" 'no such call .*20404'
tw "list --status all" 0 calls list --status all --json
expect_eq "every leg listed (3 calls: P B C, P B, P)" "$(jq length "$T/out")" 6
tw "list --status bad" 2 calls list --status nope
no_secret_anywhere

stop_emulator
expect_eq "emulator exits 0" "$?" 0
stop_server
expect_eq "serve exits 0" "$STOP_RC" 0
finish
