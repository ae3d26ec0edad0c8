# serve_store_lost: the database file under a running server is deleted, replaced by one
# made with `import` into a new file, replaced by garbage, and damaged in place (pages
# overwritten). Each time the server notices (device and inode, size and mtime, not only
# data_version), counts what it cannot read in handoff_reload_failures_total, logs it once
# a second at most, serves the last good set meanwhile, and serves the new file once one
# is readable at the path.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

check "destinations set up" setup_dests
start_server || { finish; exit 1; }
metric() { curl -s "$BASE/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# until DEST answers STATUS on /refer (about 3 s at most)
refer_until() { # DEST STATUS
	for _ in $(seq 1 30); do
		hook POST /refer CallSid=CA1 "ReferTransferTarget=<sip:$1@agent.example.com>"
		[ "$STATUS" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
failures_past() { # N: until the failure counter passes N (3 s at most)
	for _ in $(seq 1 30); do
		[ "$(metric handoff_reload_failures_total)" -gt "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# a database file made elsewhere with one live destination NAME
make_db() { # FILE NAME
	HANDOFF_DB=$1 "$HANDOFF" dest add "$2" --route "sip:$2@pbx.example.com" >/dev/null &&
		HANDOFF_DB=$1 "$HANDOFF" promote -m "$2" >/dev/null
}

check "billing answers" refer_until billing 200

# 1. deleted
rm -f "$HANDOFF_DB"
check "deleted: the failure is counted" failures_past 0
check "deleted: the last good set is still served" refer_until billing 200
sleep 1.2
expect_match "deleted: the log says so" "$(server_log)" "serve: cannot reload the database \([0-9]+ failures? so far\): $HANDOFF_DB \(deleted, replaced or unreadable\): no database at $HANDOFF_DB"
n0=$(grep -c 'cannot reload the database' "$T/serve.log")
sleep 2.1
n1=$(grep -c 'cannot reload the database' "$T/serve.log")
if [ $((n1 - n0)) -le 3 ]; then ok; else not_ok "logged once a second at most" "$((n1 - n0)) lines in 2.1 s"; fi

# ... and a new database created at the path by the CLI is served
check "a new database at the path" make_db "$HANDOFF_DB" sales
check "deleted then recreated: the new file is served" refer_until sales 200
expect_eq "and the old set is gone" "$(hook POST /refer CallSid=CA1 'ReferTransferTarget=<sip:billing@agent.example.com>'; echo "$STATUS")" 404

# 2. replaced by `import` into a new file, moved over the old one
cat >"$T/set.json" <<'JSON'
{"format": "handoff-destinations", "format_version": 1,
 "destinations": [{"name": "support", "route": "sip:support@pbx.example.com"}]}
JSON
check "import into a new file" env HANDOFF_DB="$T/new.db" "$HANDOFF" import "$T/set.json"
check "promote there" env HANDOFF_DB="$T/new.db" "$HANDOFF" promote -m new
mv "$T/new.db" "$HANDOFF_DB"
check "replaced: the imported set is served" refer_until support 200

# 3. garbage moved over it
f0=$(metric handoff_reload_failures_total)
head -c 20000 /dev/urandom >"$T/garbage"
mv "$T/garbage" "$HANDOFF_DB"
check "garbage: the failure is counted" failures_past "$f0"
check "garbage: the last good set is still served" refer_until support 200
sleep 1.2
expect_match "garbage: the log says why" "$(server_log)" "cannot reload the database .*$HANDOFF_DB.*(not a handoff database|file is not a database)"

# a good file again
check "a good file again" make_db "$T/good.db" front
mv "$T/good.db" "$HANDOFF_DB"
check "good again: served" refer_until front 200

# 4. pages damaged in place (everything after the header page overwritten)
f1=$(metric handoff_reload_failures_total)
size=$(stat -c %s "$HANDOFF_DB")
dd if=/dev/urandom of="$HANDOFF_DB" bs=4096 seek=1 count=$((size / 4096 - 1)) conv=notrunc status=none
check "corrupt pages: the failure is counted" failures_past "$f1"
check "corrupt pages: the last good set is still served" refer_until front 200
expect_eq "live version unchanged" "$(metric handoff_live_version)" 1

stop_server
expect_eq "SIGTERM: exit 0" "$STOP_RC" 0
finish
