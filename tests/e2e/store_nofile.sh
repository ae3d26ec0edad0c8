# store_nofile: commands on a database path where no file is (PostgreSQL: a database
# without handoff's tables). Only import, dest add and promote may make one; every other
# command says "no database at PATH: create one with ..." and makes nothing. A command that
# fails leaves no new file behind (nor the -wal, -shm files SQLite keeps beside it; nor
# tables).
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"

db=$(new_db none.db) || { not_ok "a new database"; finish; exit 1; }
export HANDOFF_DB="$db"
nofile() { # DESC: nothing at all at the path
	if [ "$BACKEND" = postgresql ]; then
		local n
		n=$(db_sql "$db" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
		expect_eq "$1: no table left behind" "$n" 0
	elif ls "$db"* >/dev/null 2>&1; then not_ok "$1: no file left behind" "$(ls "$db"*)"; else ok; fi
}
rm_store() { # the store made, gone again
	if [ "$BACKEND" = postgresql ]; then
		db_sql "$db" "DROP TABLE audit, hours, failover, versions, headers, dests, state" >/dev/null
	else
		rm -f "$db"*
	fi
}
for cmd in "dest list" "dest show billing" "dest rm billing" "dest set billing --route +14155550100" \
	"dest preview billing" "versions" "rollback" "export" "dest test billing"; do
	# shellcheck disable=SC2086
	expect_exit "$cmd: fails" 1 "$HANDOFF" $cmd
	expect_match "$cmd: says there is no database" "$(cat "$T/err")" "no database at $(re "$(shown "$db")")( \(it has no handoff tables\))?: create one with 'handoff import FILE' or 'handoff dest add'"
	nofile "$cmd"
done

expect_exit "dest add with a bad route fails" 1 "$HANDOFF" dest add sales --route 4155550100
nofile "dest add with a bad route"
expect_exit "dest add with an unknown variable fails" 1 "$HANDOFF" dest add sales --route sip:s@pbx.example.com --header 'X-Who: $caller'
nofile "dest add with an unknown variable"
printf '{"format": "handoff-destinations", "format_version": 1, "destinations": [{"name": "Bad Name", "route": "+1"}]}' >"$T/bad.json"
expect_exit "import of an invalid set fails" 1 "$HANDOFF" import "$T/bad.json"
nofile "import of an invalid set"
expect_exit "import of a missing file fails" 1 "$HANDOFF" import "$T/missing.json"
nofile "import of a missing file"

# a read-only directory: the open itself fails, and nothing is left
mkdir "$T/ro" && chmod 0555 "$T/ro"
if [ "$(id -u)" != 0 ] && [ "$BACKEND" = sqlite ]; then
	expect_exit "dest add in a read-only directory fails" 1 "$HANDOFF" dest add sales --route +14155550100 --db "$T/ro/h.db"
	if ls "$T/ro/"* >/dev/null 2>&1; then not_ok "read-only: no file left"; else ok; fi
fi

# the three that may create one do
expect_exit "dest add makes the database" 0 "$HANDOFF" dest add sales --route +14155550100
has_store "$db" && ok || not_ok "the database exists after dest add"
rm_store
printf '{"format": "handoff-destinations", "format_version": 1, "destinations": [{"name": "sales", "route": "+14155550100"}]}' >"$T/good.json"
expect_exit "import makes the database" 0 "$HANDOFF" import "$T/good.json"
has_store "$db" && ok || not_ok "the database exists after import"
rm_store
"$HANDOFF" promote >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 0 ]; then
	has_store "$db" && ok || not_ok "promote that succeeds leaves its database"
else
	nofile "promote that fails"
fi
finish
