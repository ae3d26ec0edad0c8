# store_cli.sh: the dest commands, promote/versions/rollback, export/import on real SQLite files and a real PostgreSQL database; every --json parsed back.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

HANDOFF_DB=$(new_db h.db) || { not_ok "a new database"; finish; exit 1; }
export HANDOFF_DB
EX="$ROOT/fixtures/destinations/example.json"

# jget JSON-FILE PYTHON-EXPR: evaluates EXPR with j = the parsed document
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# a missing database is an error for readers, not silently created
expect_exit "list without a database fails" 1 "$HANDOFF" dest list
expect_match "it says there is no database" "$(cat "$T/err")" "^handoff: dest list: no database at $(re "$(shown "$HANDOFF_DB")")"
expect_no_match "without the password" "$(cat "$T/err")" "${PG_PASS:-no password here}"
if has_store "$HANDOFF_DB"; then not_ok "and creates nothing"; else ok; fi

# the README's session: import, promote
expect_exit "import the example" 0 "$HANDOFF" import "$EX"
expect_match "import says how many" "$(cat "$T/out")" "^imported 4 destinations into the sandbox"
expect_exit "promote it" 0 "$HANDOFF" promote -m "example set"
expect_match "promote names the version" "$(cat "$T/out")" "version 1"
[ "$BACKEND" = sqlite ] && expect_eq "the database is in WAL mode" "$(sqlite3 "$HANDOFF_DB" 'PRAGMA journal_mode')" "wal"
expect_eq "the schema version is recorded" "$(db_schema "$HANDOFF_DB")" "4"

# list --json (both environments)
expect_exit "list --json" 0 "$HANDOFF" dest list --json
cp "$T/out" "$T/list.json"
expect_eq "list --json: env" "$(jget "$T/list.json" 'j["env"]')" "sandbox"
expect_eq "list --json: names sorted" "$(jget "$T/list.json" '",".join(d["name"] for d in j["destinations"])')" "after-hours,billing,front-desk,vip-desk"
expect_eq "list --json: billing headers" "$(jget "$T/list.json" '[h["value"] for h in j["destinations"][1]["headers"]][-1]')" '$refer.User-to-User'
expect_exit "list --env live --json" 0 "$HANDOFF" dest list --env live --json
cp "$T/out" "$T/live.json"
expect_eq "live --json: version" "$(jget "$T/live.json" 'j["version"]')" "1"
expect_eq "live --json: 4 destinations" "$(jget "$T/live.json" 'len(j["destinations"])')" "4"
expect_exit "list text" 0 "$HANDOFF" dest list
expect_match "list text shows a route" "$(cat "$T/out")" "front-desk +\+14155550123"

# add: the exact refusal of the brief, and success
expect_exit "add with a bad route fails" 1 "$HANDOFF" dest add billing2 --route 4155550100
expect_eq "the refusal names field, rule and fix" "$(cat "$T/err")" 'handoff: dest add billing2: route "4155550100" is not E.164: write + and the country code, e.g. +14155550100'
expect_exit "add an existing name fails" 1 "$HANDOFF" dest add billing --route +14155550100
expect_match "and says how to change it" "$(cat "$T/err")" "already exists in the sandbox: change it with 'handoff dest set'"
expect_exit "add with an unknown variable fails" 1 "$HANDOFF" dest add sales --route sip:sales@pbx.example.com --header 'X-Who: $caller'
expect_match "it names the variable" "$(cat "$T/err")" 'unknown variable \$caller'
expect_exit "add with a malformed --header fails" 1 "$HANDOFF" dest add sales --route sip:sales@pbx.example.com --header 'X-Who=1'
expect_match "it shows the form" "$(cat "$T/err")" "write it as 'X-Name: VALUE'"
expect_exit "add without --route is a usage error" 2 "$HANDOFF" dest add sales
expect_exit "an unknown option is a usage error" 2 "$HANDOFF" dest add sales --colour +14155550100
expect_match "it names the option" "$(cat "$T/err")" "^handoff: dest add: unknown option '--colour'"
expect_exit "a missing option value is a usage error" 2 "$HANDOFF" dest add sales --route
expect_exit "add sales" 0 "$HANDOFF" dest add sales --route 'sip:sales@pbx.example.com;transport=tcp' \
	--description "Sales" --header 'X-Who: $caller_id' --header 'X-Lead: $refer.X-Lead' --caller-id +14155550100 --timeout 20
expect_exit "show --json" 0 "$HANDOFF" dest show sales --json
cp "$T/out" "$T/show.json"
expect_eq "show --json: route" "$(jget "$T/show.json" 'j["route"]')" "sip:sales@pbx.example.com;transport=tcp"
expect_eq "show --json: timeout" "$(jget "$T/show.json" 'j["timeout"]')" "20"
expect_eq "show --json: headers" "$(jget "$T/show.json" '";".join(h["name"]+"="+h["value"] for h in j["headers"])')" 'X-Who=$caller_id;X-Lead=$refer.X-Lead'
expect_exit "show is case-insensitive" 0 "$HANDOFF" dest show SALES
expect_exit "the live set does not have it yet" 1 "$HANDOFF" dest show sales --env live
expect_match "and says so" "$(cat "$T/err")" "no destination sales in the live version"

# set: replace one header, keep the rest; clear headers
expect_exit "set a header" 0 "$HANDOFF" dest set sales --header 'x-who: fixed' --description ""
expect_exit "show after set" 0 "$HANDOFF" dest show sales --json
cp "$T/out" "$T/show.json"
expect_eq "set replaced the header of the same name" "$(jget "$T/show.json" '";".join(h["name"]+"="+h["value"] for h in j["headers"])')" 'x-who=fixed;X-Lead=$refer.X-Lead'
expect_eq "an empty --description clears it" "$(jget "$T/show.json" '"description" in j')" "False"
expect_exit "set a bad timeout" 1 "$HANDOFF" dest set sales --timeout 700
expect_match "the timeout refusal" "$(cat "$T/err")" "^handoff: dest set sales: timeout 700 is out of range: <Dial> takes 5-600 seconds"
expect_exit "set a number route with headers fails" 1 "$HANDOFF" dest set sales --route +14155550100
expect_match "headers need SIP" "$(cat "$T/err")" "headers need a SIP route"
expect_exit "set a number route with a SIP caller id" 1 "$HANDOFF" dest set sales --route +14155550100 --clear-headers --caller-id handoff-x
expect_match "a number route needs an E.164 caller id" "$(cat "$T/err")" 'caller id "handoff-x" is not E.164' 
expect_exit "set with nothing to change" 2 "$HANDOFF" dest set sales
expect_exit "set an absent name" 1 "$HANDOFF" dest set nobody --timeout 10

# two 'dest set' at once on one destination: neither edit is lost (the second
# one read before the first wrote; its conditional write fails and it retries)
HANDOFF_TEST_STALL_MS=1500 "$HANDOFF" dest set sales --header 'X-One: 1' >"$T/s1.out" 2>"$T/s1.err" &
pid=$!
for ((i = 0; i < 100; i++)); do grep -qs "test stall" "$T/s1.err" && break; sleep 0.1; done
expect_exit "a second dest set while the first is writing" 0 "$HANDOFF" dest set sales --header 'X-Two: 2'
wait "$pid"
expect_eq "the first dest set succeeded" "$?" "0"
expect_exit "show after both" 0 "$HANDOFF" dest show sales --json
cp "$T/out" "$T/show.json"
expect_eq "both headers are there" "$(jget "$T/show.json" '",".join(h["name"] for h in j["headers"])')" "x-who,X-Lead,X-One,X-Two"
check "drop them again" "$HANDOFF" dest set sales --clear-headers --header 'x-who: fixed' --header 'X-Lead: $refer.X-Lead'

# preview: the TwiML with substituted, encoded values
expect_exit "preview billing" 0 "$HANDOFF" dest preview billing From=+14155550111 CallSid=CA0123456789abcdef0123456789abcdef \
	'ReferTransferTarget=<sip:billing@agent.example.com?X-Account=42%26x&User-to-User=abc%3Bencoding%3Dhex>'
expect_match "preview is TwiML" "$(head -2 "$T/out")" '^<\?xml version="1.0" encoding="UTF-8"\?>'
expect_match "preview dials with answerOnBridge" "$(cat "$T/out")" '<Dial timeout="25" answerOnBridge="true">'
expect_match "preview substitutes and encodes" "$(cat "$T/out")" '<Sip>sip:billing@pbx.example.com;transport=tls\?X-Caller=%2B14155550111&amp;X-Call-Sid=CA0123456789abcdef0123456789abcdef&amp;X-Account=42%26x&amp;User-to-User=abc%3Bencoding%3Dhex</Sip>'
expect_exit "preview a number" 0 "$HANDOFF" dest preview front-desk --env live
expect_match "number preview" "$(cat "$T/out")" '<Number>\+14155550123</Number>'
expect_exit "preview injection stays inside the URI" 0 "$HANDOFF" dest preview billing 'From="><Hangup/>' \
	'ReferTransferTarget=<sip:b@x?User-to-User=%22%3E%3CHangup%2F%3E%20X-Evil:%201>'
expect_no_match "no injected element" "$(cat "$T/out")" '<Hangup'
expect_match "markup encoded" "$(cat "$T/out")" 'User-to-User=%22%3E%3CHangup/%3E%20X-Evil:%201</Sip>'
# the target read as the server reads it: one the server answers 400 is refused here
expect_exit "preview a target with CR LF in a header" 1 "$HANDOFF" dest preview billing \
	'ReferTransferTarget=<sip:b@x?User-to-User=%0D%0AX-Evil:%201>'
expect_match "preview says what the server does" "$(cat "$T/err")" 'User-to-User: a control character .* the server answers 400 for this call'
expect_exit "preview a target that is not SIP" 1 "$HANDOFF" dest preview billing 'ReferTransferTarget=<http://x>'
for n in after-hours billing front-desk vip-desk sales; do
	"$HANDOFF" dest preview "$n" 'From="><x' 'ReferTransferTarget=<sip:a@b?X-Reason=%22%3E%3Cx&X-Account=a%26b>' >"$T/p.xml"
	expect_exit "preview $n lints clean (twiml lint --strict)" 0 "$HANDOFF" twiml lint --strict "$T/p.xml"
done
expect_exit "preview a bad parameter" 2 "$HANDOFF" dest preview billing From

# promote, versions, rollback
expect_exit "promote --json" 0 "$HANDOFF" promote --message "add sales" --json
cp "$T/out" "$T/p.json"
expect_eq "promote --json: version" "$(jget "$T/p.json" 'j["version"]')" "2"
expect_exit "versions --json" 0 env USER=carol "$HANDOFF" versions --json
cp "$T/out" "$T/v.json"
expect_eq "versions --json: numbers" "$(jget "$T/v.json" '[v["version"] for v in j]')" "[1, 2]"
expect_eq "versions --json: live flag" "$(jget "$T/v.json" '[v["live"] for v in j]')" "[False, True]"
expect_eq "versions --json: message" "$(jget "$T/v.json" 'j[1]["message"]')" "add sales"
expect_eq "versions --json: destination count" "$(jget "$T/v.json" 'j[1]["destinations"]')" "5"
expect_match "versions --json: UTC time" "$(jget "$T/v.json" 'j[0]["created"]')" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'
expect_exit "promote as another user" 0 env USER=dave "$HANDOFF" promote
expect_exit "versions text" 0 "$HANDOFF" versions
expect_match "versions marks the live one and shows the author" "$(cat "$T/out")" '^\* 3 .* dave '
expect_exit "rollback to the previous" 0 "$HANDOFF" rollback --json
cp "$T/out" "$T/r.json"
expect_eq "rollback --json: live" "$(jget "$T/r.json" 'j["live"]')" "2"
expect_exit "rollback 1" 0 "$HANDOFF" rollback 1
expect_exit "live after rollback 1" 0 "$HANDOFF" dest list --env live --json
cp "$T/out" "$T/live.json"
expect_eq "live is version 1 again" "$(jget "$T/live.json" '(j["version"], len(j["destinations"]))')" "(1, 4)"
expect_exit "rollback past the oldest" 1 "$HANDOFF" rollback
expect_match "it says why" "$(cat "$T/err")" "^handoff: rollback: version 1 is the oldest"
expect_exit "rollback to a missing version" 1 "$HANDOFF" rollback 9
expect_exit "rollback to a bad number" 2 "$HANDOFF" rollback x

# export / import round trip
expect_exit "export live to a file" 0 "$HANDOFF" export --env live -o "$T/live-export.json"
expect_eq "export file: format" "$(jget "$T/live-export.json" '(j["format"], j["format_version"], j["env"])')" "('handoff-destinations', 2, 'live')"
expect_exit "export sandbox to stdout" 0 "$HANDOFF" export
cp "$T/out" "$T/sb.json"
expect_eq "sandbox export has 5" "$(jget "$T/sb.json" 'len(j["destinations"])')" "5"
OTHER=$(new_db other.db)
HANDOFF_DB=$OTHER expect_exit "import an export into a new database" 0 "$HANDOFF" import "$T/sb.json"
HANDOFF_DB=$OTHER expect_exit "and export it again" 0 "$HANDOFF" export
expect_eq "the round trip is exact" "$(cat "$T/out")" "$(cat "$T/sb.json")"
HANDOFF_DB=$(new_db stdin.db) expect_exit "import from stdin" 0 sh -c '"$0" import - <"$1"' "$HANDOFF" "$EX"

# import is all or nothing and names the first bad destination
python3 - "$EX" "$T/bad.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["destinations"].append({"name": "zz-new", "route": "+14155550100"})
j["destinations"][2]["route"] = "4155550100"
j["destinations"][3]["headers"][0]["name"] = "Priority"
json.dump(j, open(sys.argv[2], "w"))
EOF
"$HANDOFF" export >"$T/before.json"
expect_exit "import a file with bad destinations" 1 "$HANDOFF" import "$T/bad.json"
expect_match "it names the first bad one" "$(cat "$T/err")" "^handoff: import $T/bad.json: after-hours: route \"4155550100\" is not E.164: .*\(nothing was imported\)$"
"$HANDOFF" export >"$T/after.json"
expect_eq "the sandbox is unchanged" "$(cat "$T/after.json")" "$(cat "$T/before.json")"
echo '{"format":"handoff-destinations","format_version":1,"destinations":[{"name":"a","route":"+14155550100","tiemout":5}]}' >"$T/typo.json"
expect_exit "import a file with a typo" 1 "$HANDOFF" import "$T/typo.json"
expect_match "it names the key" "$(cat "$T/err")" 'destinations\[0\]: unknown key "tiemout"'
echo '{"format":"handoff-destinations","format_version":1,"destinations":[' >"$T/broken.json"
expect_exit "import broken JSON" 1 "$HANDOFF" import "$T/broken.json"
expect_match "it gives the line" "$(cat "$T/err")" "line [0-9]+"
expect_exit "import a missing file" 1 "$HANDOFF" import "$T/nope.json"

# rm
expect_exit "rm sales" 0 "$HANDOFF" dest rm sales
expect_exit "rm it again" 1 "$HANDOFF" dest rm sales
expect_match "rm names the miss" "$(cat "$T/err")" "^handoff: dest rm sales: no destination sales in the sandbox"

# --db wins over the environment
expect_exit "--db PATH|URL" 0 "$HANDOFF" dest list --db "$OTHER" --json
expect_eq "--db reads the other database" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["destinations"]))' <"$T/out")" "5"

# a foreign file (a database whose table "state" is another program's) is refused clearly
FOREIGN=$(new_db foreign.db)
if [ "$BACKEND" = sqlite ]; then
	echo "not a database at all, just some text that fills a page header.............." >"$FOREIGN"
else
	db_sql "$FOREIGN" "CREATE TABLE state (name TEXT, size INTEGER)"
fi
expect_exit "a foreign file is refused" 1 "$HANDOFF" dest list --db "$FOREIGN"
expect_match "with one line" "$(cat "$T/err")" "is not a handoff database"

# --- two CLIs promoting at once: two versions, in order, neither lost ---
# the first holds its write transaction open (a stall inside it) while the second starts
check "an edit to promote" "$HANDOFF" dest add conc-a --route +14155550101
nsb=$("$HANDOFF" dest list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["destinations"]))')
nv0=$("$HANDOFF" versions --json | python3 -c 'import json,sys; print(max(v["version"] for v in json.load(sys.stdin)))')
rm -f "$T/p1.err"
USER=first HANDOFF_TEST_STALL_MS=1500 "$HANDOFF" promote -m first >"$T/p1.out" 2>"$T/p1.err" &
p1=$!
for ((i = 0; i < 100; i++)); do grep -qs "test stall" "$T/p1.err" && break; sleep 0.1; done
expect_exit "a second promote while the first is inside its transaction" 0 env USER=second "$HANDOFF" promote -m second
wait "$p1"
expect_eq "the first promote succeeded" "$?" "0"
expect_match "the first got the next version" "$(cat "$T/p1.out")" "version $((nv0 + 1));"
expect_match "the second the one after it" "$(cat "$T/out")" "version $((nv0 + 2));"
expect_exit "versions after both" 0 "$HANDOFF" versions --json
cp "$T/out" "$T/v2.json"
expect_eq "both recorded, in order, the second live" \
	"$(jget "$T/v2.json" '[(v["version"], v["message"], v["author"], v["live"]) for v in j[-2:]]')" \
	"[($((nv0 + 1)), 'first', 'first', False), ($((nv0 + 2)), 'second', 'second', True)]"
expect_eq "each holds the whole sandbox, the edit with it" "$(jget "$T/v2.json" '[v["destinations"] for v in j[-2:]]')" "[$nsb, $nsb]"
expect_exit "audit after both" 0 "$HANDOFF" audit 2 --json
expect_eq "the audit log has both, in order" "$(jget "$T/out" '[(a["author"], a["action"]) for a in j]')" \
	"[('second', 'promote'), ('first', 'promote')]"

finish
