# serve_reload_fail: when the database can no longer be read (here: a table
# dropped behind the server's back), the server keeps serving the destinations
# it has, says so in its log once per change, and counts it in /metrics.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

[ "$BACKEND" = postgresql ] || command -v sqlite3 >/dev/null || { skip "serve_reload_fail: no sqlite3 command"; finish; exit 0; }

check "destinations set up" setup_dests
start_server || { finish; exit 1; }

metric() { curl -s "$BASE/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
expect_eq "no reload failure at start" "$(metric handoff_reload_failures_total)" 0

hook POST /refer CallSid=CA1 'ReferTransferTarget=<sip:billing@agent.example.com>'
expect_eq "billing answers before the damage" "$STATUS" 200

# a change the watcher notices (data_version moves; on PostgreSQL gen, without a
# notice: the periodic check finds it), then a table it needs gone
if [ "$BACKEND" = postgresql ]; then
	db_sql "$HANDOFF_DB" "DROP TABLE headers; UPDATE state SET value = value + 1 WHERE key = 'gen'"
else
	sqlite3 "$HANDOFF_DB" 'DROP TABLE headers'
fi
for _ in $(seq 1 30); do
	[ "$(metric handoff_reload_failures_total)" != 0 ] && break
	sleep 0.1
done
n=$(metric handoff_reload_failures_total)
if [ -n "$n" ] && [ "$n" -gt 0 ]; then ok; else not_ok "reload failures counted" "got: $n"; fi

hook POST /refer CallSid=CA2 'ReferTransferTarget=<sip:billing@agent.example.com>'
expect_eq "the last good set is still served" "$STATUS" 200
expect_match "with billing's route" "$(cat "$T/body")" '<Sip>sip:billing@pbx.example.com\?'
expect_eq "live version unchanged" "$(metric handoff_live_version)" 1

sleep 1.2 # the main loop reports once a second
expect_match "the log says why" "$(server_log)" 'serve: cannot reload the database \([0-9]+ failures? so far\): .*(handoff.db: no such table: headers|relation "headers" does not exist).*; still serving live version 1'

expect_match "/metrics: the store is not up" "$(curl -s "$BASE/metrics")" "handoff_store_up\{backend=\"$BACKEND\"\} 0"
expect_eq "/healthz: degraded" "$(curl -s "$BASE/healthz")" "degraded: serving version 1, store unreachable"
expect_eq "/healthz: still 200" "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" 200
stop_server
expect_eq "SIGTERM: exit 0" "$STOP_RC" 0
finish
