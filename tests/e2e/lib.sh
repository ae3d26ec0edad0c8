# lib.sh: helpers for the end-to-end scripts; source it first.
# Each script ends with `finish`, which prints "N passed, N failed".
set -u
: "${HANDOFF:?set HANDOFF to the binary under test}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d)
PASS=0
FAIL=0
CLEANUP=()
trap 'for c in "${CLEANUP[@]}"; do eval "$c"; done; rm -rf "$T"' EXIT

ok() { PASS=$((PASS + 1)); }
not_ok() { # description, details...
	FAIL=$((FAIL + 1))
	echo "FAIL $1"
	shift
	[ $# -gt 0 ] && printf '  %s\n' "$@"
	return 0
}

# check DESC CMD...: the command must exit 0.
check() {
	local d=$1
	shift
	if "$@" >"$T/out" 2>"$T/err"; then ok; else not_ok "$d" "exit $?" "$(head -5 "$T/err")"; fi
}

# expect_exit DESC CODE CMD...: run CMD, stdout in $T/out, stderr in $T/err.
expect_exit() {
	local d=$1 want=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok; else not_ok "$d" "exit $rc, want $want" "$(head -5 "$T/err")"; fi
}

# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" == "$3" ]; then ok; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# expect_match DESC TEXT REGEX (grep -E)
expect_match() {
	if printf '%s' "$2" | grep -qE -- "$3"; then ok; else not_ok "$1" "no match for /$3/ in:" "$(printf '%s' "$2" | head -10)"; fi
}

# expect_no_match DESC TEXT REGEX
expect_no_match() {
	if printf '%s' "$2" | grep -qE -- "$3"; then not_ok "$1" "unexpected /$3/ in:" "$(printf '%s' "$2" | head -10)"; else ok; fi
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: until the URL answers (any status), bounded.
wait_http() {
	local i limit=$((${2:-10} * 10))
	for ((i = 0; i < limit; i++)); do
		curl -s -o /dev/null --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

skip() { echo "SKIP $*"; }

# need_interop NAME: installs the official twilio npm package (tests/interop) or
# ends the script: a SKIP that counts nothing when npm is unreachable (exit 3
# from ensure.sh), a failure for any other install error.
need_interop() {
	bash "$ROOT/tests/interop/ensure.sh" >"$T/ensure.log" 2>&1
	local rc=$?
	[ "$rc" -eq 0 ] && return 0
	if [ "$rc" -eq 3 ]; then
		skip "$1: the twilio npm package is not installable here ($(tail -1 "$T/ensure.log"))"
		finish
		exit 0
	fi
	not_ok "$1: tests/interop/ensure.sh failed" "exit $rc" "$(tail -3 "$T/ensure.log")"
	finish
	exit 1
}

# --- the store under test: tests/run.sh runs the scripts marked "# backends: sqlite
# postgresql" a second time with HANDOFF_TEST_BACKEND=postgresql ---
BACKEND=${HANDOFF_TEST_BACKEND:-sqlite}
# need_pg: a throwaway PostgreSQL cluster for this script (tests/e2e/pg.bash), once
need_pg() {
	[ -n "${PG_DIR:-}" ] && return 0
	# shellcheck source=tests/e2e/pg.bash
	. "$ROOT/tests/e2e/pg.bash"
	pg_start 2>"$T/pg-start.err" || {
		not_ok "a PostgreSQL cluster for the test" "$(cat "$T/pg-start.err")"
		finish
		exit 1
	}
}
# new_db NAME: a fresh store: a file in $T, or a new database of the cluster (its URL;
# need_pg first)
new_db() {
	if [ "$BACKEND" = postgresql ]; then
		pg_db "$(printf '%s' "$1" | tr -c 'a-zA-Z0-9' _)"
	else
		echo "$T/$1"
	fi
}
# shown DB: the store as handoff names it in messages (a URL's password hidden)
shown() { sed -E 's#^(postgres(ql)?://[^:/@]*:)[^@/]*@#\1***@#' <<<"$1"; }
# re TEXT: TEXT as a literal in an expect_match regex
re() { sed 's/[][\.*^$?+(){}|]/\\&/g' <<<"$1"; }
# has_store DB: whether a store is there (the file; handoff's tables)
has_store() {
	case "$1" in
	postgres*) [ "$(db_sql "$1" "SELECT count(*) FROM pg_tables WHERE tablename = 'state'")" != 0 ] ;;
	*) [ -e "$1" ] ;;
	esac
}
# db_schema DB: the schema version the store records
db_schema() {
	case "$1" in
	postgres*) db_sql "$1" "SELECT value FROM state WHERE key = 'schema'" ;;
	*) sqlite3 "$1" 'PRAGMA user_version' ;;
	esac
}
# db_sql DB SQL: SQL run on the store behind handoff's back (sqlite3, or psql as the
# cluster's superuser); rows on stdout, one value per line
db_sql() {
	case "$1" in
	postgres*) local d=${1##*/}; pg_sql "${d%%\?*}" "$2" ;;
	*) sqlite3 "$1" "$2" ;;
	esac
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# the PostgreSQL run starts its cluster here, in this shell (new_db runs in $(...))
if [ "$BACKEND" = postgresql ]; then need_pg; fi
