# simulate.sh: 'handoff simulate' over every flow in fixtures/flows, a deliberately wrong flow,
# --json, --verbose, usage and bad-input errors.
. "$(dirname "$0")/lib.sh"

flows=("$ROOT"/fixtures/flows/*.json)
n=${#flows[@]}
expect_exit "every fixture flow passes" 0 "$HANDOFF" simulate "${flows[@]}"
expect_eq "the summary counts every flow" "$(tail -1 "$T/out")" "$n passed, 0 failed"
expect_eq "one line per flow" "$(grep -cE '^ok  ' "$T/out")" "$n"
for prof in twilio-voice twilio-trunk plivo; do
	expect_match "flows for $prof" "$(ls "$ROOT"/fixtures/flows)" "^${prof}_"
done

# a wrong expectation: the target is busy, the flow claims it answered
src="$ROOT/fixtures/flows/twilio-voice_aob-true_target-busy.json"
python3 - "$src" "$T/wrong.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "deliberately wrong"
f["steps"][0]["expect"]["notify"] = ["SIP/2.0 100 Trying", "SIP/2.0 200 OK"]
f["expect"]["legs"]["B"] = "in-progress"
json.dump(f, open(sys.argv[2], "w"))
PY
expect_exit "a wrong flow fails" 1 "$HANDOFF" simulate "$T/wrong.json"
out=$(cat "$T/out")
expect_match "the wrong flow is marked FAIL" "$out" "^FAIL  $T/wrong.json  deliberately wrong"
expect_match "NOTIFY expected vs actual" "$out" 'step 1: NOTIFY sipfrags: expected \["SIP/2.0 100 Trying","SIP/2.0 200 OK"\], got \["SIP/2.0 100 Trying","SIP/2.0 486 Busy Here"\]'
expect_match "leg status expected vs actual" "$out" 'leg B status: expected "in-progress", got "busy"'
expect_eq "the summary counts the failure" "$(tail -1 "$T/out")" "0 passed, 1 failed"

expect_exit "a wrong flow among good ones still fails" 1 "$HANDOFF" simulate "${flows[0]}" "$T/wrong.json"
expect_eq "mixed summary" "$(tail -1 "$T/out")" "1 passed, 1 failed"

# the modelled '+' rule: a flow that expects the caller's +E164 at the target fails when
# the answer wrote a literal '+' (it arrives as a space), and passes under the override
python3 - "$ROOT/fixtures/flows/twilio-voice_sip-uri-headers_plus-is-space.json" "$T/plus.json" "$T/plus0.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "expects the caller's +E164"
f["expect"] = {"events": [{"kind": "sip", "leg": "B", "text": "X-Caller: +14155550100;"}]}
json.dump(f, open(sys.argv[2], "w"))
f["name"] = "the same, '+' read as itself"
f["overrides"] = {"sip.uri-header-plus-is-space": 0}
f["expect"]["events"].insert(0, {"kind": "modelled", "text": "sip.uri-header-plus-is-space=0"})
json.dump(f, open(sys.argv[3], "w"))
PY
expect_exit "a flow expecting +E164 fails against a literal '+'" 1 "$HANDOFF" simulate "$T/plus.json"
expect_match "the failure names the event" "$(cat "$T/out")" "^FAIL  $T/plus.json  expects the caller's \+E164"
expect_exit "the override reads '+' as itself" 0 "$HANDOFF" simulate "$T/plus0.json"

# --json
expect_exit "--json" 1 "$HANDOFF" simulate --json "${flows[0]}" "$T/wrong.json"
expect_eq "--json is one document with counts" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["passed"], d["failed"], d["flows"][1]["ok"], d["flows"][1]["failures"][0]["what"])' "$T/out")" \
	"1 1 False step 1: NOTIFY sipfrags"
expect_exit "--json --verbose keeps the timeline" 0 "$HANDOFF" simulate --json --verbose "${flows[0]}"
expect_match "events in --json --verbose" "$(cat "$T/out")" '"kind": "sip"'

# --verbose
expect_exit "--verbose" 0 "$HANDOFF" simulate --verbose "$ROOT/fixtures/flows/twilio-voice_aob-true_target-answers.json"
expect_match "--verbose prints the timeline" "$(cat "$T/out")" 'A +sip +200 NOTIFY sipfrag "SIP/2.0 200 OK"'

# usage and bad input
expect_exit "no file is a usage error" 2 "$HANDOFF" simulate
expect_exit "unknown flag is a usage error" 2 "$HANDOFF" simulate --frobnicate x.json
expect_exit "a missing file fails" 1 "$HANDOFF" simulate "$T/none.json"
expect_match "missing file error line" "$(cat "$T/err")" "^handoff: simulate: $T/none.json: No such file"
echo '{"profile": "twilio-nope", "call": {"from": "+1", "to": "+2"}}' >"$T/bad.json"
expect_exit "a malformed flow fails" 1 "$HANDOFF" simulate "$T/bad.json"
expect_match "malformed flow says why" "$(cat "$T/err")" 'profile'
echo '{"profile": "plivo", "call": {"from": "+1", "to": "+2"}, "overrides": {"no.such.rule": 1}}' >"$T/bad2.json"
expect_exit "an unknown override fails" 1 "$HANDOFF" simulate "$T/bad2.json"
expect_match "unknown override named" "$(cat "$T/err")" "no.such.rule"
printf '{"profile": ' >"$T/bad3.json"
expect_exit "broken JSON fails" 1 "$HANDOFF" simulate "$T/bad3.json"
expect_match "broken JSON says where" "$(cat "$T/err")" 'line 1'

finish
