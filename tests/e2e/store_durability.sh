# store_durability.sh: SIGKILL inside an import or a promote, a full disk, read-only files (PostgreSQL: a read-only database): the state is whole, old or new, never a mix.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

HANDOFF_DB=$(new_db d.db) || { not_ok "a new database"; finish; exit 1; }
export HANDOFF_DB
LOOPS=4 # kills per scenario (bounded)

# mkset FILE GEN COUNT: a set whose every destination carries the marker gen-GEN
mkset() {
	python3 - "$@" <<'EOF'
import json, sys
path, gen, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ds = [{"name": "d%03d" % i, "description": "gen-%s " % gen + "x" * 150,
       "route": "sip:d%03d@pbx.example.com" % i,
       "headers": [{"name": "X-Gen", "value": gen}, {"name": "X-Who", "value": "$caller_id"}]}
      for i in range(n)]
json.dump({"format": "handoff-destinations", "format_version": 1, "destinations": ds},
          open(path, "w"))
EOF
}

# state ENV: "GEN COUNT" when every destination carries one marker and every
# header agrees with it, else "MIXED ..."
state() {
	"$HANDOFF" export --env "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
gens = {d["description"].split()[0] for d in j["destinations"]} | {h["value"] for d in j["destinations"] for h in d["headers"] if h["name"] == "X-Gen"}
gens = {g.replace("gen-", "") for g in gens}
print((gens.pop() if len(gens) == 1 else "MIXED %s" % sorted(gens)) + " %d" % len(j["destinations"]))'
}

# run_and_kill: starts the command with a stall, waits for the stall marker
# (bounded: 30 s, for a loaded machine), kills it with SIGKILL, and reaps it.
run_and_kill() {
	# the last run's marker must not count: the new one's redirection may come later
	rm -f "$T/k.out" "$T/k.err"
	HANDOFF_TEST_STALL_MS=5000 "$@" >"$T/k.out" 2>"$T/k.err" &
	local pid=$! i
	for ((i = 0; i < 300; i++)); do
		grep -qs "test stall" "$T/k.err" && break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -qs "test stall" "$T/k.err"
}

integrity() {
	if [ "$BACKEND" = sqlite ]; then
		expect_eq "$1: integrity_check" "$(sqlite3 "$HANDOFF_DB" 'PRAGMA integrity_check')" "ok"
	else # nothing of the killed client's transaction is left holding a lock
		expect_eq "$1: no transaction left open" \
			"$(db_sql "$HANDOFF_DB" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'handoff' AND state LIKE 'idle in transaction%'")" "0"
	fi
}

mkset "$T/a.json" A 40
check "import A" "$HANDOFF" import "$T/a.json"
check "promote A" "$HANDOFF" promote -m A
expect_eq "live is A" "$(state live)" "A 40"

# --- SIGKILL inside an import: the old sandbox or the new one, whole ---
for ((k = 1; k <= LOOPS; k++)); do
	mkset "$T/b.json" "B$k" $((20 + k))
	if run_and_kill "$HANDOFF" import "$T/b.json"; then ok; else not_ok "import $k: the kill landed inside the write" "stderr: $(cat "$T/k.err")" "stdout: $(cat "$T/k.out")"; fi
	s=$(state sandbox)
	case "$s" in "A 40" | "B$((k - 1)) $((19 + k))" | "B$k $((20 + k))") ok ;; *) not_ok "import $k killed: sandbox is whole" "got: $s" ;; esac
	integrity "import $k"
	# the next import without a kill goes through
	check "import $k again" "$HANDOFF" import "$T/b.json"
	expect_eq "import $k: sandbox is the new set" "$(state sandbox)" "B$k $((20 + k))"
done
expect_eq "live untouched by imports" "$(state live)" "A 40"

# --- SIGKILL inside a promote: live stays the old version, whole ---
for ((k = 1; k <= LOOPS; k++)); do
	mkset "$T/c.json" "C$k" $((10 + k))
	check "import C$k" "$HANDOFF" import "$T/c.json"
	before=$(state live)
	nv=$("$HANDOFF" versions --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	if run_and_kill "$HANDOFF" promote -m "C$k"; then ok; else not_ok "promote $k: the kill landed inside the write" "stderr: $(cat "$T/k.err")" "stdout: $(cat "$T/k.out")"; fi
	expect_eq "promote $k killed: live is the old set, whole" "$(state live)" "$before"
	expect_eq "promote $k killed: no new version" \
		"$("$HANDOFF" versions --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$nv"
	expect_eq "promote $k killed: no orphan rows" \
		"$(db_sql "$HANDOFF_DB" "SELECT count(*) FROM dests WHERE version > (SELECT max(number) FROM versions)")" "0"
	expect_eq "promote $k killed: no audit row for it" \
		"$(db_sql "$HANDOFF_DB" "SELECT count(*) FROM audit WHERE action = 'promote' AND version > (SELECT max(number) FROM versions)")" "0"
	integrity "promote $k"
	check "promote $k again" "$HANDOFF" promote -m "C$k"
	expect_eq "promote $k: live is the new set" "$(state live)" "C$k $((10 + k))"
done

# --- SIGKILL inside a rollback: live stays where it was ---
before=$(state live)
if run_and_kill "$HANDOFF" rollback; then ok; else not_ok "rollback: the kill landed inside the write" "stderr: $(cat "$T/k.err")"; fi
expect_eq "rollback killed: live unchanged" "$(state live)" "$before"
integrity "rollback"

if [ "$BACKEND" = postgresql ]; then
	# a database that takes no writes (default_transaction_read_only): one line, nothing changed
	RO="$HANDOFF_DB?options=-c%20default_transaction_read_only%3Don"
	"$HANDOFF" export >"$T/sb-before.json"
	expect_exit "add to a read-only database fails" 1 "$HANDOFF" dest add new --route +14155550100 --db "$RO"
	expect_eq "read-only database: one line" "$(wc -l <"$T/err")" "1"
	expect_match "read-only database: says so" "$(cat "$T/err")" "^handoff: dest add new: $(re "$(shown "$HANDOFF_DB")").* is read-only: .*nothing was changed"
	expect_no_match "read-only database: no password" "$(cat "$T/err")" "$PG_PASS"
	expect_exit "promote in a read-only database fails" 1 "$HANDOFF" promote --db "$RO"
	expect_match "promote: read-only" "$(cat "$T/err")" "is read-only"
	expect_eq "read-only database: unchanged" "$("$HANDOFF" export)" "$(cat "$T/sb-before.json")"
	# a role that may only read: refused with a line that says so
	db_sql "$HANDOFF_DB" "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader" >/dev/null
	READER="postgresql://reader:reader-pw@127.0.0.1:$PG_PORT/${HANDOFF_DB##*/}"
	expect_exit "a read-only role lists" 0 "$HANDOFF" dest list --db "$READER"
	expect_exit "a read-only role cannot add" 1 "$HANDOFF" dest add new --route +14155550100 --db "$READER"
	expect_match "permission denied, in one line" "$(cat "$T/err")" "permission denied.*nothing was changed"
	expect_eq "the refusal: one line" "$(wc -l <"$T/err")" "1"
	expect_no_match "and no password" "$(cat "$T/err")" "reader-pw"
	finish
	exit
fi

# --- a full disk (a file size limit): one line, nothing changed ---
"$HANDOFF" export >"$T/sb-before.json"
"$HANDOFF" export --env live >"$T/live-before.json"
mkset "$T/big.json" BIG 600
sqlite3 "$HANDOFF_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
expect_exit "import on a full disk fails" 1 bash -c 'trap "" XFSZ; ulimit -f 64; exec "$0" import "$1"' "$HANDOFF" "$T/big.json"
expect_eq "with one line" "$(wc -l <"$T/err")" "1"
expect_match "that says the disk is full" "$(cat "$T/err")" "^handoff: import $T/big.json: $HANDOFF_DB: no space left to write .*nothing was changed"
"$HANDOFF" export >"$T/sb-after.json"
expect_eq "full disk: the sandbox is unchanged" "$(cat "$T/sb-after.json")" "$(cat "$T/sb-before.json")"
check "import big" "$HANDOFF" import "$T/big.json"
sqlite3 "$HANDOFF_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
expect_exit "promote on a full disk fails" 1 bash -c 'trap "" XFSZ; ulimit -f 64; exec "$0" promote -m big' "$HANDOFF"
expect_match "promote says the disk is full" "$(cat "$T/err")" "^handoff: promote: .*no space left to write"
"$HANDOFF" export --env live >"$T/live-after.json"
expect_eq "full disk: live is unchanged" "$(cat "$T/live-after.json")" "$(cat "$T/live-before.json")"
integrity "full disk"
check "restore the sandbox" "$HANDOFF" import "$T/sb-before.json"

# --- read-only file / directory (as an unprivileged user: root ignores modes) ---
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! as_nobody true 2>/dev/null; then
	skip "read-only cases: cannot switch to an unprivileged user here"
else
	chmod 711 "$T"
	sqlite3 "$HANDOFF_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	"$HANDOFF" export >"$T/sb-before.json"
	# a read-only file in a directory the user may write
	mkdir -m 1777 "$T/rofile"
	cp "$HANDOFF_DB" "$T/rofile/h.db"
	chmod 444 "$T/rofile/h.db"
	expect_exit "add to a read-only file fails" 1 as_nobody "$HANDOFF" dest add new --route +14155550100 --db "$T/rofile/h.db"
	expect_eq "read-only file: one line" "$(wc -l <"$T/err")" "1"
	expect_match "read-only file: says so" "$(cat "$T/err")" "^handoff: dest add new: $T/rofile/h.db is read-only: check the permissions"
	expect_exit "import into a read-only file fails" 1 as_nobody "$HANDOFF" import "$T/a.json" --db "$T/rofile/h.db"
	expect_match "import: read-only" "$(cat "$T/err")" "is read-only"
	expect_exit "promote in a read-only file fails" 1 as_nobody "$HANDOFF" promote --db "$T/rofile/h.db"
	expect_match "promote: read-only" "$(cat "$T/err")" "is read-only"
	expect_eq "read-only file: unchanged" "$("$HANDOFF" export --db "$T/rofile/h.db")" "$(cat "$T/sb-before.json")"
	# a writable file in a read-only directory (no room for the WAL)
	mkdir -m 755 "$T/rodir"
	cp "$HANDOFF_DB" "$T/rodir/h.db"
	chmod 666 "$T/rodir/h.db"
	expect_exit "add in a read-only directory fails" 1 as_nobody "$HANDOFF" dest add new --route +14155550100 --db "$T/rodir/h.db"
	expect_eq "read-only directory: one line" "$(wc -l <"$T/err")" "1"
	expect_match "read-only directory: says so" "$(cat "$T/err")" "^handoff: dest add new: $T/rodir/h.db is read-only"
	expect_eq "read-only directory: unchanged" "$("$HANDOFF" export --db "$T/rodir/h.db")" "$(cat "$T/sb-before.json")"
	expect_exit "a new database in a read-only directory fails" 1 as_nobody "$HANDOFF" import "$T/a.json" --db "$T/rodir/new.db"
	expect_match "new database: says so" "$(cat "$T/err")" "rodir/new.db"
fi

finish
