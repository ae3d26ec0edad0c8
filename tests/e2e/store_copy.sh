# store_copy: `handoff store copy FROM TO` moves a whole store (every version, the sandbox,
# the live pointer, the audit log with its ids and times) from SQLite to PostgreSQL and
# back, row for row; refuses a target that is not empty and changes nothing then; a copy
# killed in the middle leaves the target empty. Passwords: never printed, hidden from ps,
# and libpq's ~/.pgpass and PGPASSFILE work for a URL without one.
. "$(dirname "$0")/lib.sh"
need_pg

SRC="$T/src.db"
export HANDOFF_DB=$SRC
EX="$ROOT/fixtures/destinations/example.json"
# a store with a history: versions, a rollback, edits of every kind, hours and failover
check "import" "$HANDOFF" import "$EX"
check "promote 1" env USER=alice "$HANDOFF" promote -m "example set"
check "add with failover" "$HANDOFF" dest add sales --route sip:sales@pbx1.example.com \
	--failover sip:sales@pbx2.example.com --header 'X-Caller: $caller_id' --description 'Sales, "quoted" é'
check "set" "$HANDOFF" dest set front-desk --timeout 40
check "promote 2" env USER=bob "$HANDOFF" promote -m "sales"
check "rm" "$HANDOFF" dest rm sales
check "promote 3" "$HANDOFF" promote -m "no sales"
check "rollback to 2" "$HANDOFF" rollback 2
check "a sandbox edit after" "$HANDOFF" dest add late --route +14155550177

# tables SQL: every row of every table, in one order, as text (sqlite3 and psql print the
# same "a|b|c" lines)
TABLES=(
	"SELECT version, name, description, route, caller_id, timeout FROM dests ORDER BY version, name"
	"SELECT version, dest, pos, name, value FROM headers ORDER BY version, dest, pos"
	"SELECT version, dest, pos, route FROM failover ORDER BY version, dest, pos"
	"SELECT version, dest, tz, otherwise, open, closed FROM hours ORDER BY version, dest"
	"SELECT number, created, message, author FROM versions ORDER BY number"
	"SELECT id, at, author, action, dest, version, detail FROM audit ORDER BY id"
	"SELECT key, value FROM state WHERE key IN ('live', 'gen', 'sandbox_changed', 'live_changed') ORDER BY key"
)
dump() { # DB: every table, one block each
	local q
	for q in "${TABLES[@]}"; do
		echo "== $q"
		db_sql "$1" "$q"
	done
}
dump "$SRC" >"$T/src.dump"
expect_match "the source has history" "$(grep -c . "$T/src.dump")" '^[3-9][0-9]$'

# --- SQLite -> PostgreSQL ---
PGDB=$(pg_db copy1)
expect_exit "copy SQLite -> PostgreSQL" 0 "$HANDOFF" store copy "$SRC" "$PGDB"
expect_eq "it says what it copied" "$(cat "$T/out")" \
	"copied $SRC (sqlite) to $(shown "$PGDB") (postgresql): 3 versions (version 2 live), 18 destination rows, 9 audit rows"
expect_no_match "without the password" "$(cat "$T/out" "$T/err")" "$PG_PASS"
dump "$PGDB" >"$T/pg.dump"
if cmp -s "$T/src.dump" "$T/pg.dump"; then ok; else not_ok "PostgreSQL holds every row as it was" "$(diff "$T/src.dump" "$T/pg.dump" | head -10)"; fi
for env in live sandbox; do
	expect_eq "the $env set exports the same" "$("$HANDOFF" export --env "$env" --db "$PGDB")" "$("$HANDOFF" export --env "$env")"
done
expect_eq "versions the same" "$("$HANDOFF" versions --json --db "$PGDB")" "$("$HANDOFF" versions --json)"
expect_eq "the audit log the same" "$("$HANDOFF" audit 100 --json --db "$PGDB")" "$("$HANDOFF" audit 100 --json)"
# the copy goes on from where the source was: the next audit id and version follow
check "an edit on the copy" "$HANDOFF" dest add after-copy --route +14155550178 --db "$PGDB"
expect_eq "its audit id follows the copied ones" "$("$HANDOFF" audit 1 --json --db "$PGDB" | jq '.[0].id')" 10
check "a promote on the copy" "$HANDOFF" promote -m "on postgresql" --db "$PGDB"
expect_eq "its version follows the copied ones" "$("$HANDOFF" versions --json --db "$PGDB" | jq '.[-1].version')" 4

# --- PostgreSQL -> SQLite, and the round trip exact ---
BACK="$T/back.db"
PGDB2=$(pg_db copy2)
check "copy to a second PostgreSQL database" "$HANDOFF" store copy "$SRC" "$PGDB2"
expect_exit "copy PostgreSQL -> SQLite" 0 "$HANDOFF" store copy "$PGDB2" "$BACK" --json
expect_eq "--json: what and where" "$(jq -c '[.from_backend, .to, .to_backend, .versions, .live, .dest_rows, .audit_rows]' "$T/out")" \
	"[\"postgresql\",\"$BACK\",\"sqlite\",3,2,18,9]"
expect_eq "--json: the source named without its password" "$(jq -r .from "$T/out")" "$(shown "$PGDB2")"
dump "$BACK" >"$T/back.dump"
if cmp -s "$T/src.dump" "$T/back.dump"; then ok; else not_ok "SQLite -> PostgreSQL -> SQLite is exact" "$(diff "$T/src.dump" "$T/back.dump" | head -10)"; fi
expect_eq "and the copy serves the same TwiML" "$("$HANDOFF" dest preview billing --env live --db "$BACK" From=+14155550111)" \
	"$("$HANDOFF" dest preview billing --env live From=+14155550111)"

# --- a target that is not empty: refused, nothing written ---
before=$(dump "$PGDB")
expect_exit "copy into a store that holds something" 1 "$HANDOFF" store copy "$SRC" "$PGDB"
expect_match "says what it holds" "$(cat "$T/err")" "^handoff: store copy: $(re "$(shown "$PGDB")") is not empty \(25 destination rows, 4 versions, 11 audit rows\): copy into a new database"
expect_match "with a hint" "$(cat "$T/err")" "hint: copy into an empty store"
expect_eq "and changes nothing" "$(dump "$PGDB")" "$before"
expect_exit "into a non-empty SQLite file too" 1 "$HANDOFF" store copy "$PGDB" "$SRC"
expect_eq "the file is unchanged" "$(dump "$SRC")" "$(cat "$T/src.dump")"
expect_exit "FROM and TO the same" 2 "$HANDOFF" store copy "$SRC" "$SRC"
expect_exit "without TO" 2 "$HANDOFF" store copy "$SRC"

# --- FROM missing: nothing made anywhere ---
EMPTY=$(pg_db copy3)
expect_exit "copy from a file that is not there" 1 "$HANDOFF" store copy "$T/none.db" "$EMPTY"
expect_match "says so" "$(cat "$T/err")" "no database at $T/none.db"
expect_eq "the target got no tables" "$(db_sql "$EMPTY" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
expect_exit "copy from a database without handoff's tables" 1 "$HANDOFF" store copy "$EMPTY" "$T/new.db"
if [ -e "$T/new.db" ]; then not_ok "no file made for the target"; else ok; fi

# --- killed in the middle: the target holds nothing, and a copy again goes through ---
rm -f "$T/k.err"
HANDOFF_TEST_STALL_MS=5000 "$HANDOFF" store copy "$SRC" "$EMPTY" >"$T/k.out" 2>"$T/k.err" &
pid=$!
for ((i = 0; i < 300; i++)); do grep -qs "test stall" "$T/k.err" && break; sleep 0.1; done
expect_match "the copy stalls inside its transaction" "$(cat "$T/k.err")" "test stall"
# meanwhile, ps shows the URL without its password (a CLI hides it too)
expect_match "ps: the copy's arguments" "$(ps -o args= -p "$pid")" "store copy $SRC $(re "$(shown "$EMPTY")")"
expect_no_match "ps: no password" "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "$PG_PASS"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
expect_eq "killed: the target holds no row" "$(db_sql "$EMPTY" "SELECT (SELECT count(*) FROM dests) + (SELECT count(*) FROM versions) + (SELECT count(*) FROM audit)")" 0
check "a copy again goes through" "$HANDOFF" store copy "$SRC" "$EMPTY"
expect_eq "and holds every row" "$(dump "$EMPTY")" "$(cat "$T/src.dump")"

# --- a URL without a password: libpq's PGPASSFILE and ~/.pgpass ---
NOPW="postgresql://handoff@127.0.0.1:$PG_PORT/copy1"
expect_exit "without a password and no password file: refused" 1 "$HANDOFF" dest list --db "$NOPW"
expect_match "in one line that says so" "$(cat "$T/err")" "^handoff: dest list: cannot connect to postgresql://handoff@127.0.0.1:$PG_PORT/copy1: .*password"
printf '127.0.0.1:%s:*:handoff:%s\n' "$PG_PORT" "$PG_PASS" >"$T/pgpass"
chmod 600 "$T/pgpass"
PGPASSFILE="$T/pgpass" expect_exit "PGPASSFILE" 0 "$HANDOFF" dest list --db "$NOPW"
mkdir -p "$T/home"
cp "$T/pgpass" "$T/home/.pgpass"
expect_exit "~/.pgpass" 0 env -u PGPASSFILE HOME="$T/home" "$HANDOFF" dest list --env live --db "$NOPW"
expect_match "reads the copy" "$(cat "$T/out")" "live: version 4"
expect_exit "HANDOFF_DB with the password (no flag on argv)" 0 env HANDOFF_DB="$PGDB" "$HANDOFF" versions
# a password with characters that need %-escaping, wrong: the error never shows it
expect_exit "a wrong password" 1 "$HANDOFF" dest list --db "postgresql://handoff:s%40cr%2Ft-x@127.0.0.1:$PG_PORT/copy1"
expect_no_match "the error shows neither form of it" "$(cat "$T/err")" 's%40cr%2Ft-x|s@cr/t-x'
expect_match "but names the store" "$(cat "$T/err")" 'postgresql://handoff:\*\*\*@127\.0\.0\.1'
expect_exit "a malformed one" 1 "$HANDOFF" dest list --db "postgresql://handoff:bad%zzsecret@127.0.0.1:$PG_PORT/copy1"
expect_no_match "libpq's own text is scrubbed" "$(cat "$T/err")" 'bad%zzsecret|zzsecret'
finish
