# store_interop.sh: 'dest preview' answers the same TwiML as the official twilio package builds for each example destination, with ordinary and hostile webhook values.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

need_interop "dest interop"

HANDOFF_DB=$(new_db i.db) || { not_ok "a new database"; finish; exit 1; }
export HANDOFF_DB
check "import the example" "$HANDOFF" import "$ROOT/fixtures/destinations/example.json"
check "add one with literal text and every variable" "$HANDOFF" dest add ctx \
	--route 'sip:ctx@pbx.example.com:5070' --header 'X-Ctx: to=$to; acct=$account_sid; 100% $$' \
	--header 'x-from: <$from>' --header 'P-Called-Party-ID: $refer.p-called-party-id' --caller-id ctx.line_1
check "export" "$HANDOFF" export
cp "$T/out" "$T/set.json"
names=$(python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(open(sys.argv[1]))["destinations"]))' "$T/set.json")

# param sets: ordinary, then hostile values in every variable
i=0
while IFS= read -r params; do
	i=$((i + 1))
	printf '%s' "$params" >"$T/p$i.json"
	(cd "$ROOT/tests/interop" && node dest_twiml.js "$T/set.json" "$T/p$i.json") >"$T/want$i.json" 2>"$T/node.err" ||
		{ not_ok "node built set $i" "$(head -3 "$T/node.err")"; continue; }
	# NUL-separated: values may hold CR and LF
	mapfile -d '' args < <(python3 -c 'import json,sys; [print(k+"="+v, end="\0") for k,v in json.load(open(sys.argv[1])).items()]' "$T/p$i.json")
	for n in $names; do
		expect_exit "preview $n (set $i)" 0 "$HANDOFF" dest preview "$n" "${args[@]}"
		cmpout=$(python3 - "$T/out" "$T/want$i.json" "$n" <<'PY'
import json, sys, xml.etree.ElementTree as ET
def canon(e):
    return (e.tag, sorted(e.attrib.items()), (e.text or "").strip(), [canon(k) for k in e])
got = ET.fromstring(open(sys.argv[1], "rb").read())
want = ET.fromstring(json.load(open(sys.argv[2]))[sys.argv[3]].encode())
print("same" if canon(got) == canon(want) else "got  %s\nwant %s" % (canon(got), canon(want)))
PY
)
		expect_eq "preview $n (set $i) equals the twilio package's TwiML" "$cmpout" "same"
	done
# (a target whose header holds CR or LF is answered 400 by the server, and preview says so:
# tests/e2e/store_cli.sh; the hostile target here is one the server accepts)
done <<'SETS'
{"From": "+14155550111", "To": "+14155550199", "CallSid": "CA0123456789abcdef0123456789abcdef", "AccountSid": "AC0123456789abcdef0123456789abcdef", "ReferTransferTarget": "<sip:billing@agent.example.com?X-Account=42%2C7&User-to-User=123%3Bencoding%3Dhex&X-Reason=upsell&P-Called-Party-ID=%3Csip%3Ab%40c%3E>"}
{"From": "\"><Hangup/>&amp;", "To": "a\r\nX-Evil: 1", "CallSid": "CAxyz", "AccountSid": "AC'\"", "ReferTransferTarget": "<sip:x@y?X-Account=%26X-Evil%3D1&User-to-User=%22%3E%3CHangup%2F%3E%20Contact%3A%20evil&X-Reason=%3C%2FSip%3E%3CNumber%3E%2B1900%3C%2FNumber%3E>"}
{"From": "sip:alice@example.com", "To": "client:bob", "CallSid": "CA00000000000000000000000000000000", "AccountSid": "AC00000000000000000000000000000000", "ReferTransferTarget": "sip:nothing@here"}
SETS

# not vacuous: both sides wrote the caller's '+' as %2B, and left out the headers whose
# value was empty (set 3 carries no Refer-To headers)
expect_match "the reference writes the caller's + as %2B" "$(cat "$T/want1.json")" 'X-Caller=%2B14155550111'
"$HANDOFF" dest preview billing From=+14155550111 'ReferTransferTarget=sip:nothing@here' >"$T/p3.xml"
expect_match "preview writes it %2B too" "$(cat "$T/p3.xml")" 'X-Caller=%2B14155550111'
expect_no_match "and leaves the empty Refer-To headers out" "$(cat "$T/p3.xml")" 'X-Account=|User-to-User='

finish
