# dest_failover.sh: destinations with failover routes through the real binary: dest add/set
# --failover and --clear-failover with their refusals, list/show/--json, the answer (lint
# clean), export/import (format_version 2, version 1 still read), a schema-1 database
# migrated, and `dest test --target busy,answer` (in-process) showing the failover.
. "$(dirname "$0")/lib.sh"

export HANDOFF_DB="$T/h.db"
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# expect_lines DESC TEXT REGEX: REGEX (Python) matches across the lines of TEXT, in order
# (grep -E would take each line of a multi-line pattern as a pattern of its own)
expect_lines() {
	if python3 -c 'import re,sys; sys.exit(0 if re.search(sys.argv[2], sys.argv[1], re.M) else 1)' "$2" "$3"; then
		ok
	else
		not_ok "$1" "no match for /$3/ in:" "$(printf '%s' "$2" | head -20)"
	fi
}

P1=sip:billing@pbx1.example.com
P2=sip:billing@pbx2.example.com
P3='sips:billing@pbx3.example.com;transport=tls'

# --- add, refusals ---
expect_exit "add with a failover route" 0 "$HANDOFF" dest add billing --route "$P1" --failover "$P2" \
	--header 'X-Caller: $caller_id' --header 'X-Reason: $refer.X-Reason'
expect_exit "a number route cannot fail over" 1 "$HANDOFF" dest add desk --route +14155550123 --failover "$P2"
expect_match "it says why, in one line" "$(cat "$T/err")" \
	'^handoff: dest add desk: failover routes need a SIP route: \+14155550123 dials a number'
expect_exit "a number is not a failover route" 1 "$HANDOFF" dest add d2 --route "$P1" --failover +14155550123
expect_match "it names the route" "$(cat "$T/err")" 'failover 1: "\+14155550123" is a number'
expect_exit "a failover route follows the route rules" 1 "$HANDOFF" dest add d3 --route "$P1" --failover 'sip:x@pbx.example.com?X-A=1'
expect_match "headers go with --header" "$(cat "$T/err")" "failover 1: route .*--header"
expect_exit "five --failover is a usage error" 2 "$HANDOFF" dest add d4 --route "$P1" \
	--failover sip:a@h1.example.com --failover sip:a@h2.example.com --failover sip:a@h3.example.com \
	--failover sip:a@h4.example.com --failover sip:a@h5.example.com
expect_match "with the limit" "$(cat "$T/err")" 'at most 4 --failover routes'
expect_exit "--clear-failover is for set" 2 "$HANDOFF" dest add d5 --route "$P1" --clear-failover
expect_eq "nothing refused was saved" "$("$HANDOFF" dest list --json | python3 -c 'import json,sys; print([d["name"] for d in json.load(sys.stdin)["destinations"]])')" "['billing']"

# --- set: add one after, the same one again, the route itself, clear ---
expect_exit "set --failover adds one after" 0 "$HANDOFF" dest set billing --failover "$P3"
expect_exit "the same route again changes nothing" 0 "$HANDOFF" dest set billing --failover "$P2"
expect_exit "show" 0 "$HANDOFF" dest show billing
expect_lines "show lists the routes in order" "$(cat "$T/out")" \
	$'route:       sip:billing@pbx1.example.com\nfailover 1:  sip:billing@pbx2.example.com\nfailover 2:  sips:billing@pbx3.example.com;transport=tls'
expect_exit "the route itself is refused" 1 "$HANDOFF" dest set billing --failover "$P1"
expect_match "saying so" "$(cat "$T/err")" 'failover 3: "sip:billing@pbx1.example.com" is the route itself'
expect_exit "list" 0 "$HANDOFF" dest list
expect_lines "list shows the failover routes under the route" "$(cat "$T/out")" \
	$'billing  sip:billing@pbx1.example.com +2  \n +failover sip:billing@pbx2.example.com\n +failover sips:billing@pbx3.example.com;transport=tls'
expect_exit "show --json" 0 "$HANDOFF" dest show billing --json
expect_eq "show --json has them" "$(jget "$T/out" 'j["failover"]')" \
	"['sip:billing@pbx2.example.com', 'sips:billing@pbx3.example.com;transport=tls']"

# --- the answer: one <Uri> per route, each with the headers; it lints clean ---
expect_exit "preview" 0 "$HANDOFF" dest preview billing 'ReferTransferTarget=<sip:billing@a.example.com?X-Reason=up+sell>'
cp "$T/out" "$T/answer.xml"
expect_eq "three <Uri>, in order, each with the headers" "$(grep -o '<Uri .*</Uri>' "$T/answer.xml")" \
	'<Uri priority="1">sip:billing@pbx1.example.com?X-Caller=%2B14155550100&amp;X-Reason=up%2Bsell</Uri>
<Uri priority="2">sip:billing@pbx2.example.com?X-Caller=%2B14155550100&amp;X-Reason=up%2Bsell</Uri>
<Uri priority="3">sips:billing@pbx3.example.com;transport=tls?X-Caller=%2B14155550100&amp;X-Reason=up%2Bsell</Uri>'
expect_exit "the answer lints clean (--strict)" 0 "$HANDOFF" twiml lint --strict "$T/answer.xml"

# --- export / import ---
expect_exit "export" 0 "$HANDOFF" export -o "$T/set.json"
expect_eq "format_version 2" "$(jget "$T/set.json" 'j["format_version"]')" 2
expect_eq "failover exported" "$(jget "$T/set.json" 'j["destinations"][0]["failover"][1]')" "$P3"
"$HANDOFF" dest add plain --route sip:plain@pbx1.example.com >/dev/null 2>&1
expect_exit "export again" 0 "$HANDOFF" export -o "$T/set2.json"
expect_eq "no failover key where there is none" "$(jget "$T/set2.json" '"failover" in j["destinations"][1]')" False
expect_exit "import it into another database" 0 env HANDOFF_DB="$T/other.db" "$HANDOFF" import "$T/set2.json"
expect_exit "the other database has the routes" 0 env HANDOFF_DB="$T/other.db" "$HANDOFF" dest show billing --json
expect_eq "in order" "$(jget "$T/out" 'j["failover"]')" \
	"['sip:billing@pbx2.example.com', 'sips:billing@pbx3.example.com;transport=tls']"
python3 - "$T/set2.json" "$T/v1.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["format_version"] = 1
json.dump(j, open(sys.argv[2], "w"))
PY
expect_exit "format_version 1 with failover is refused" 1 env HANDOFF_DB="$T/other.db" "$HANDOFF" import "$T/v1.json"
expect_match "saying it needs version 2" "$(cat "$T/err")" '"failover" needs format_version 2'
python3 - "$T/set2.json" "$T/v1ok.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["format_version"] = 1
for d in j["destinations"]:
    d.pop("failover", None)
json.dump(j, open(sys.argv[2], "w"))
PY
expect_exit "a version 1 file is still read" 0 env HANDOFF_DB="$T/other.db" "$HANDOFF" import "$T/v1ok.json"

# --- set --clear-failover; rm drops the rows ---
expect_exit "clear-failover" 0 "$HANDOFF" dest set billing --clear-failover --failover "$P3"
expect_eq "one left" "$("$HANDOFF" dest show billing --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["failover"])')" \
	"['sips:billing@pbx3.example.com;transport=tls']"
expect_exit "clear them all" 0 "$HANDOFF" dest set billing --clear-failover
expect_eq "none" "$("$HANDOFF" dest show billing | grep -c '^failover')" 0
expect_eq "no rows left in the sandbox" "$(sqlite3 "$HANDOFF_DB" 'SELECT count(*) FROM failover WHERE version = 0')" 0

# --- a schema-1 database (before failover) is migrated and keeps its destinations ---
sqlite3 "$T/old.db" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE dests (version INTEGER NOT NULL, name TEXT NOT NULL, description TEXT,
  route TEXT NOT NULL, caller_id TEXT, timeout INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (version, name));
CREATE TABLE headers (version INTEGER NOT NULL, dest TEXT NOT NULL, pos INTEGER NOT NULL,
  name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (version, dest, pos));
CREATE TABLE versions (number INTEGER PRIMARY KEY, created INTEGER NOT NULL,
  message TEXT NOT NULL, author TEXT NOT NULL);
CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO state VALUES ('live', 0), ('gen', 1), ('sandbox_changed', 1), ('live_changed', 0);
INSERT INTO dests VALUES (0, 'sales', 'old one', 'sip:sales@pbx1.example.com', NULL, 0);
INSERT INTO headers VALUES (0, 'sales', 0, 'X-Caller', '$caller_id');
PRAGMA user_version = 1;
SQL
[ "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" = 1 ] && ok || not_ok "the schema-1 database was made"
expect_exit "a schema-1 database opens" 0 env HANDOFF_DB="$T/old.db" "$HANDOFF" dest show sales
expect_match "with its destination" "$(cat "$T/out")" 'route:       sip:sales@pbx1.example.com'
expect_eq "migrated to schema 4" "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" 4
expect_exit "and takes failover routes" 0 env HANDOFF_DB="$T/old.db" "$HANDOFF" dest set sales --failover sip:sales@pbx2.example.com
expect_exit "promote" 0 env HANDOFF_DB="$T/old.db" "$HANDOFF" promote -m failover
expect_eq "promoted with the route" "$(sqlite3 "$T/old.db" "SELECT route FROM failover WHERE version = 1 AND dest = 'sales'")" sip:sales@pbx2.example.com

# --- dest test: the route busy, the failover route answering ---
"$HANDOFF" dest set billing --failover "$P2" >/dev/null 2>&1
expect_exit "dest test --target busy,answer" 0 "$HANDOFF" dest test billing --target busy,answer --refer-header 'X-Reason: upsell'
out=$(cat "$T/out")
expect_match "the answer's two <Uri>" "$out" '<Uri priority="2">sip:billing@pbx2.example.com\?X-Caller='
expect_match "the route was tried and busy" "$out" 'tried B: sip:billing@pbx1.example.com\?X-Caller=%2B14155550100&X-Reason=upsell -> busy'
expect_lines "the failover route got the INVITE with the headers" "$out" \
	$'target: INVITE sip:billing@pbx2.example.com with headers X-Caller: \\+14155550100; X-Reason: upsell\n  X-Caller: \\+14155550100\n  X-Reason: upsell'
expect_match "NOTIFY 200" "$out" 'NOTIFY +SIP/2.0 200 OK'
expect_lines "B busy, C in progress" "$out" $'B +B +outbound-dial +busy .*\n  C +C +outbound-dial +in-progress'
expect_match "the caller is bridged to the failover route" "$out" 'connected: C<->caller'
expect_match "ok line" "$out" '^ok: the caller is bridged to billing \(sip:billing@pbx2.example.com\?X-Caller=.*\), after 1 route that did not answer'
expect_exit "dest test --target busy,answer --json" 0 "$HANDOFF" dest test billing --target busy,answer --json
expect_eq "--json: the routes tried" "$(jget "$T/out" '[(t["label"], t["status"]) for t in j["targets"]]')" \
	"[('B', 'busy'), ('C', 'in-progress')]"
expect_eq "--json: the final target's headers" "$(jget "$T/out" 'j["target_invite"]["headers"]["X-Caller"]')" "+14155550100"
expect_eq "--json: target as given" "$(jget "$T/out" 'j["target"]')" "busy,answer"
expect_exit "every route failing: the caller back with the agent" 0 "$HANDOFF" dest test billing --target fail,no-answer
expect_match "both tried" "$(cat "$T/out")" 'tried B: .* -> failed'
expect_match "ok line" "$(cat "$T/out")" '^ok: no route answered \(the last is no-answer\) and the caller is back with the agent'
expect_exit "more outcomes than routes fails" 1 "$HANDOFF" dest test plain --target busy,answer
expect_match "and says to add failover routes" "$(cat "$T/err")" \
	'--target gives 2 outcomes but the answer dialled 1 route: give the destination failover routes \(handoff dest set plain --failover SIP-ROUTE\)'
expect_exit "a bad outcome list is a usage error" 2 "$HANDOFF" dest test billing --target busy,,answer
expect_match "naming it" "$(cat "$T/err")" "not 'busy,,answer'"

finish
