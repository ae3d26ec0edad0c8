# dest_hours.sh: routing by the clock with the real binary: opening hours saved only when
# sound (zone, ranges, --otherwise, cycles; add, set, rm, import, promote), shown by
# show/list, answered by preview/test --at, carried by export/import (format 2, and 1
# still read), and a running server that answers what `dest preview --at now` says, with
# the log line and /metrics naming the destination that answered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

H() { "$HANDOFF" "$@"; }

# --- saved only when sound ---
check "the after-hours destination" H dest add after-hours --route 'sip:oncall@pbx.example.com' \
	--header 'X-Caller: $caller_id'
expect_exit "--otherwise must name a destination of the set" 1 H dest add front-desk \
	--route +14155550123 --tz America/Los_Angeles --open 'mon-fri 08:00-18:00' --otherwise nobody
expect_eq "it says which" "$(cat "$T/err")" \
	"handoff: dest add front-desk: --otherwise nobody names no destination of the set: add it first, or name another"
expect_exit "an unknown zone" 1 H dest add front-desk --route +14155550123 --tz America/Los_Angles \
	--open 'mon-fri 08:00-18:00' --otherwise after-hours
expect_match "the zone is named" "$(cat "$T/err")" '^handoff: dest add front-desk: unknown time zone America/Los_Angles: it is not in /usr/share/zoneinfo'
expect_exit "a path is not a zone" 1 H dest add front-desk --route +14155550123 --tz ../../etc/passwd \
	--open 'mon-fri 08:00-18:00' --otherwise after-hours
expect_match "refused by name" "$(cat "$T/err")" 'is not a time zone name'
expect_exit "a range past midnight" 1 H dest add front-desk --route +14155550123 --tz America/Los_Angeles \
	--open 'fri 22:00-02:00' --otherwise after-hours
expect_match "split it in two" "$(cat "$T/err")" "'fri 22:00-24:00' and 'sat 00:00-02:00'"
expect_exit "a day that is not one" 1 H dest add front-desk --route +14155550123 --tz America/Los_Angeles \
	--open 'mon-fry 08:00-18:00' --otherwise after-hours
expect_match "the bad part quoted" "$(cat "$T/err")" '"fry" is not a day'
expect_exit "hours without --otherwise" 1 H dest add front-desk --route +14155550123 \
	--tz America/Los_Angeles --open 'mon-fri 08:00-18:00'
expect_match "--otherwise is asked for" "$(cat "$T/err")" 'opening hours need --otherwise NAME'
expect_exit "a bad closed date" 1 H dest add front-desk --route +14155550123 --tz America/Los_Angeles \
	--open 'mon-fri 08:00-18:00' --closed 2026-02-30 --otherwise after-hours
check "front-desk with hours, a closed date and after-hours otherwise" H dest add front-desk \
	--route +14155550123 --tz America/Los_Angeles --open 'mon-fri 08:00-18:00' \
	--open 'sat 10:00-14:00' --closed 2026-12-25 --otherwise after-hours
expect_exit "a cycle is refused" 1 H dest set after-hours --tz UTC --open 'daily 00:00-01:00' \
	--otherwise front-desk
expect_match "the cycle is spelled out" "$(cat "$T/err")" \
	'front-desk: --otherwise makes a cycle \(front-desk -> after-hours -> front-desk\)'
expect_exit "after-hours cannot go while front-desk sends its calls there" 1 H dest rm after-hours
expect_match "with the fix as a hint" "$(cat "$T/err")" $'takes the calls of front-desk.*\nhint: handoff dest set front-desk --otherwise NAME'
# the number rules still apply to each route, and a number typed for people gets its E.164 form
expect_exit "+1 415-555-0100 is refused" 1 H dest add sales --route '+1 415-555-0100'
expect_eq "with the E.164 form in the hint" "$(cat "$T/err")" \
	$'handoff: dest add sales: route "+1 415-555-0100" is not E.164: write it without spaces, dashes or brackets\nhint: did you mean +14155550100?'
check "a gateway that needs user=phone" H dest add gw --route 'sip:+14155550100@gw.example.com;user=phone'

# --- shown ---
check "show" H dest show front-desk
expect_match "the zone" "$(cat "$T/out")" '^time zone: +America/Los_Angeles$'
expect_match "the ranges" "$(cat "$T/out")" $'open: +mon-fri 08:00-18:00\nopen: +sat 10:00-14:00'
expect_match "the date and otherwise" "$(cat "$T/out")" $'closed: +2026-12-25\notherwise: +after-hours'
check "list" H dest list
expect_match "a NOW column" "$(cat "$T/out")" 'NAME +ROUTE +HEADERS +NOW +DESCRIPTION'
expect_match "front-desk: open or who answers" "$(cat "$T/out")" 'front-desk +\+14155550123 +0 +(open|closed -> after-hours)'

# --- preview --at ---
pv() { H dest preview front-desk --at "$1"; }
expect_exit "Christmas, 10:00 local" 0 pv 2026-12-25T10:00
expect_match "after-hours answers" "$(cat "$T/out")" '<Sip>sip:oncall@pbx.example.com\?X-Caller=%2B14155550100</Sip>'
expect_eq "and stderr says why" "$(cat "$T/err")" \
	"front-desk is closed at 2026-12-25T10:00:00-08:00 (PST) (a closed date): after-hours answers"
expect_exit "Christmas Eve, 10:00 local" 0 pv 2026-12-24T10:00
expect_match "front-desk answers" "$(cat "$T/out")" '<Number>\+14155550123</Number>'
expect_eq "open" "$(cat "$T/err")" "front-desk is open at 2026-12-24T10:00:00-08:00 (PST): it answers"
expect_exit "an offset: 18:30Z is 10:30 PST" 0 pv 2026-12-24T18:30Z
expect_match "open at 10:30" "$(cat "$T/err")" 'is open at 2026-12-24T10:30:00-08:00'
expect_exit "an evening" 0 pv '2026-07-01 19:00'
expect_match "closed after 18:00 (PDT)" "$(cat "$T/err")" 'closed at 2026-07-01T19:00:00-07:00 \(PDT\): after-hours answers'
expect_exit "a Saturday morning" 0 pv 2026-07-04T10:30
expect_match "open on Saturday 10-14" "$(cat "$T/err")" 'is open'
expect_exit "a local time that does not happen" 1 pv 2026-03-08T02:30
expect_match "the gap explained" "$(cat "$T/err")" 'does not happen in the destination.s zone'
expect_exit "a local time that happens twice" 0 pv 2026-11-01T01:30
expect_match "the first is meant" "$(cat "$T/err")" 'note: 2026-11-01T01:30 happens twice there'
expect_exit "not a time" 1 pv tomorrow
expect_exit "a local time for a destination without a zone" 1 H dest preview after-hours --at 2026-07-01T12:00
expect_match "asks for an offset" "$(cat "$T/err")" 'has no UTC offset and the destination has no time zone'
expect_exit "an offset is fine there" 0 H dest preview after-hours --at 2026-07-01T12:00Z

# --- dest test --at: the call, as at that moment ---
expect_exit "dest test on Christmas" 0 H dest test front-desk --at 2026-12-25T10:00
expect_match "answered by after-hours" "$(cat "$T/out")" 'answered by after-hours: front-desk is closed at 2026-12-25T10:00:00-08:00'
expect_match "the caller reaches it" "$(cat "$T/out")" '^ok: the caller is bridged to after-hours, which answers for front-desk'
expect_exit "dest test on a weekday" 0 H dest test front-desk --at 2026-12-24T10:00 --json
expect_eq "json: front-desk's number" "$(jq -r '[.refer.webhook.destination, (.legs[] | select(.label == "B") | .to)] | join(" ")' "$T/out")" \
	"front-desk +14155550123"

# --- the file format ---
check "export" H export -o "$T/set.json"
expect_eq "format_version 2 with hours" "$(jq -c '[.format_version, (.destinations[] | select(.name == "front-desk") | .hours)]' "$T/set.json")" \
	'[2,{"tz":"America/Los_Angeles","open":["mon-fri 08:00-18:00","sat 10:00-14:00"],"closed":["2026-12-25"],"otherwise":"after-hours"}]'
export HANDOFF_DB="$T/other.db"
check "import it elsewhere" H import "$T/set.json"
check "the same hours there" H dest show front-desk --json
expect_eq "hours round-trip" "$(jq -c .hours "$T/out")" \
	'{"tz":"America/Los_Angeles","open":["mon-fri 08:00-18:00","sat 10:00-14:00"],"closed":["2026-12-25"],"otherwise":"after-hours"}'
cat >"$T/v1.json" <<'JSON'
{"format": "handoff-destinations", "format_version": 1, "destinations": [
 {"name": "billing", "route": "sip:billing@pbx.example.com", "headers": [{"name": "X-Caller", "value": "$caller_id"}]}]}
JSON
check "a version 1 file still imports" H import "$T/v1.json"
jq '.destinations[0].hours = {"tz": "UTC", "open": ["daily 00:00-24:00"], "otherwise": "billing"}' "$T/v1.json" >"$T/v1h.json"
expect_exit "hours in a version 1 file are refused" 1 H import "$T/v1h.json"
expect_match "it says which version they need" "$(cat "$T/err")" '"hours" needs "format_version": 2'
jq '.format_version = 2 | .destinations += [{"name": "x", "route": "+14155550100", "hours": {"tz": "Europe/Londn", "open": ["daily 09:00-17:00"], "otherwise": "billing"}}]' "$T/v1.json" >"$T/badzone.json"
expect_exit "import checks the zones" 1 H import "$T/badzone.json"
expect_match "the zone named" "$(cat "$T/err")" 'x: unknown time zone Europe/Londn'
export HANDOFF_DB="$T/handoff.db"

# --- a running server answers what `dest preview --at now` says ---
# open: every hour of every day; closed: yesterday, today and tomorrow in its zone are
# closed dates, so neither depends on when the test runs
days=$(python3 -c 'import datetime, zoneinfo; t = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Kathmandu")).date(); print(" ".join(str(t + datetime.timedelta(days=d)) for d in (-1, 0, 1)))')
closed=()
for d in $days; do closed+=(--closed "$d"); done
check "always open" H dest add open-desk --route +14155550125 --tz Asia/Kolkata --open 'daily 00:00-24:00' \
	--otherwise after-hours
check "closed these three days" H dest add shut-desk --route +14155550126 --tz Asia/Kathmandu \
	--open 'daily 00:00-24:00' "${closed[@]}" --otherwise after-hours
check "promote the schedule" H promote -m hours
start_server --agent sip:agent@pbx.example.com || { finish; exit 1; }
for n in open-desk shut-desk; do
	H dest preview "$n" --env live --at now From=+14155550100 CallSid=CA0123456789abcdef0123456789abcdef \
		AccountSid=AC0123456789abcdef0123456789abcdef "ReferTransferTarget=<sip:$n@agent.example.com>" \
		>"$T/want-$n.xml" 2>"$T/note-$n"
	hook POST /refer From=+14155550100 To=+14155550199 CallSid=CA0123456789abcdef0123456789abcdef \
		AccountSid=AC0123456789abcdef0123456789abcdef "ReferTransferTarget=<sip:$n@agent.example.com>"
	expect_eq "$n: 200" "$STATUS" "200"
	expect_eq "$n: the server answers what preview --at now says" "$(cat "$T/body")" "$(cat "$T/want-$n.xml")"
done
expect_match "open-desk answers itself" "$(cat "$T/want-open-desk.xml")" '\+14155550125'
expect_match "shut-desk's calls go to after-hours" "$(cat "$T/want-shut-desk.xml")" 'sip:oncall@pbx.example.com'
expect_match "preview said so" "$(cat "$T/note-shut-desk")" 'shut-desk is closed at .* \(a closed date\): after-hours answers'
expect_match "the log names the one that answered and the one asked" "$(server_log)" \
	'POST /refer 200 .* dest=after-hours asked=shut-desk version=1'
expect_match "the log: open-desk answered itself" "$(server_log)" 'POST /refer 200 .* dest=open-desk version=1'
expect_no_match "no asked= when it answered itself" "$(server_log | grep 'dest=open-desk')" 'asked='
curl -s "$BASE/metrics" >"$T/metrics"
expect_match "metrics: transfers by the destination that answered" "$(cat "$T/metrics")" \
	'handoff_transfers_total\{env="live",destination="open-desk"\} 1'
expect_match "metrics: after-hours counted for shut-desk's call" "$(cat "$T/metrics")" \
	'handoff_transfers_total\{env="live",destination="after-hours"\} 1'
hook POST /sandbox/refer From=+14155550100 'ReferTransferTarget=<sip:gw@agent.example.com>'
curl -s "$BASE/metrics" >"$T/metrics"
expect_match "metrics: the sandbox apart" "$(cat "$T/metrics")" \
	'handoff_transfers_total\{env="sandbox",destination="gw"\} 1'
# a change made after the start is served within a second: clear the hours, then shut-desk answers
check "clear shut-desk's hours" H dest set shut-desk --clear-hours
check "promote" H promote -m clear
sleep 1.5
hook POST /refer From=+14155550100 'ReferTransferTarget=<sip:shut-desk@agent.example.com>'
expect_match "shut-desk answers itself now" "$(cat "$T/body")" '<Number>\+14155550126</Number>'
stop_server
expect_eq "the server stopped cleanly" "$STOP_RC" "0"

# a zone that went missing from the system after it was saved: said at load, and the
# destination answers as if it had no hours
sqlite3 "$HANDOFF_DB" "UPDATE hours SET tz = 'Mars/Olympus_Mons' WHERE dest = 'open-desk'"
start_server --agent sip:agent@pbx.example.com || { finish; exit 1; }
expect_match "the server says which zone it could not read" "$(server_log)" \
	'WARNING: live: a time zone could not be read: open-desk: unknown time zone Mars/Olympus_Mons'
hook POST /refer From=+14155550100 'ReferTransferTarget=<sip:open-desk@agent.example.com>'
expect_match "open-desk answers itself" "$(cat "$T/body")" '<Number>\+14155550125</Number>'
stop_server

finish
