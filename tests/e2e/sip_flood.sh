# sip_flood.sh: junk and floods on the emulator's SIP port under the sanitizer build, all
# bounded: garbage, truncated messages, wrong Content-Length, an oversize datagram, a TCP
# frame over 64 KiB, requests for dialogs that do not exist, 10 000 INVITEs, 300 callers
# that stay (the 257th gets 503 + Retry-After); then a normal transfer still works and the
# emulator exits clean (no crash, no leak, no sanitizer report).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
start_app
start_sip_emulator
app hold "<Response><Dial><Conference>room</Conference></Dial></Response>"
number +14155550300 VoiceUrl="$APP/hold"

# --- junk over UDP and TCP ---
out=$(timeout 60 python3 "$SIPP_DIR/junk.py" 127.0.0.1 "$SIP_PORT" junk)
expect_match "junk: all of it sent" "$out" '^sent [0-9]{3}'
expect_match "junk: requests for unknown dialogs answered 481" "$out" '^481 [0-9]+'
expect_no_match "junk: nothing answered 500 (an INVITE without Contact gets 400)" "$out" '^500 '
expect_match "junk: the INVITE without Contact: 400" "$out" '^400 [0-9]+'
wait_http "$BASE/healthz" 5
expect_eq "junk: the emulator still answers" "$(curl -s --max-time 5 "$BASE/healthz")" ok

# --- 10 000 INVITEs for a number nobody has ---
out=$(timeout 120 python3 "$SIPP_DIR/junk.py" 127.0.0.1 "$SIP_PORT" flood 10000 14155559999)
answered=$(awk '$1 == "answered" {print $2}' <<<"$out")
expect_match "flood: thousands of the INVITEs answered ($answered)" "${answered:-0}" '^[0-9]{4,}$'
expect_eq "flood: each answered 404 (no such number) or 503 (a limit)" \
	"$(awk '$1 != "answered" {print $1}' <<<"$out" | grep -vE '^(404|503)$')" ""
expect_eq "flood: the emulator still answers" "$(curl -s --max-time 5 "$BASE/healthz")" ok

# --- 300 callers that stay: 256 dialogs, then 503 + Retry-After ---
mkdir -p "$T/sipp-hold"
(cd "$T/sipp-hold" && timeout 120 sipp -sf "$SIPP_DIR/hold.xml" -i 127.0.0.1 -p "$(sip_port)" -t u1 \
	-s 14155550300 -m 300 -l 300 -r 60 -timeout 100s -nostdin -trace_logs -log_file hold.log \
	"$SIP" >hold.out 2>&1; echo $? >hold.rc) &
HOLD=$!
CLEANUP+=("kill $HOLD 2>/dev/null")
for i in $(seq 1 300); do
	[ "$(cat "$T/sipp-hold/hold.log" 2>/dev/null | grep -c .)" -ge 300 ] && break
	sleep 0.1
done
expect_eq "hold: 256 answered (the dialog limit)" "$(grep -c '^ANSWERED' "$T/sipp-hold/hold.log")" 256
expect_eq "hold: the other 44 refused 503, Retry-After: 5" "$(grep -c '^REFUSED 503 Retry-After 5' "$T/sipp-hold/hold.log")" 44
ctl GET "/emulator/calls"
calls=$(curl -s --max-time 10 -u "$AC:$TOK" "$BASE/2010-04-01/Accounts/$AC/Calls.json?PageSize=1000&Status=in-progress" | jq '.calls | length')
expect_eq "hold: 256 calls in progress in the twin" "$calls" 256
A=$(sip_port)
app voice "<Response><Dial answerOnBridge=\"true\"><Sip>sip:agent@127.0.0.1:$A</Sip></Dial></Response>"
number +14155550199 VoiceUrl="$APP/voice"
ctl POST /emulator/calls From=+14155550100 To=+14155550199
expect_eq "hold: at the limit, a <Dial><Sip> to a loopback agent fails (503), not hangs" \
	"$(jq -r '.legs[] | select(.label == "A") | .status' <<<"$J")" failed

# --- the end: every held call gets its BYE, the emulator exits clean ---
stop_emulator
rc=$?
wait "$HOLD"
expect_eq "the emulator exits 0 (no leak under ASan)" "$rc" 0
expect_eq "hold: SIPp's callers all ended (BYE from the emulator, or the 503)" "$(cat "$T/sipp-hold/hold.rc")" 0
sanitizer_clean
finish
