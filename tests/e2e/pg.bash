# pg.bash: a throwaway PostgreSQL cluster for the tests: initdb and pg_ctl from Debian's
# postgresql package, in a temporary directory, a Unix socket there and a free loopback
# port, run as the postgres user when the tests run as root (initdb refuses root), removed
# afterwards. Sourced by lib.sh (pg_start, pg_db, pg_sql, pg_stop_server, pg_start_server,
# pg_stop), or run as a command by the unit tests:
#   bash tests/e2e/pg.bash start DIR       starts one in DIR, prints its superuser URL
#   bash tests/e2e/pg.bash db DIR NAME     a new database NAME owned by the role handoff,
#                                          prints its URL (with the role's password)
#   bash tests/e2e/pg.bash sql DIR DB SQL  runs SQL in database DB as the superuser
#   bash tests/e2e/pg.bash stop DIR        stops it and removes DIR
# The role handoff logs in over TCP with a password (scram-sha-256); the superuser
# postgres over the Unix socket without one.

pg_bindir() {
	local d
	d=$(pg_config --bindir 2>/dev/null)
	[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# pg_as CMD...: as the cluster's owner (postgres when we are root)
pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# pg_cluster_start DIR: initdb, configure, start; writes DIR/env (PG_BIN PG_PORT PG_SOCK
# PG_PASS PG_DIR) and prints nothing on success
pg_cluster_start() {
	local dir=$1 bin port pass
	bin=$(pg_bindir) || { echo "pg.bash: no PostgreSQL server (initdb): install Debian's postgresql package (scripts/install-deps.sh)" >&2; return 1; }
	mkdir -p "$dir" || return 1
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	chmod 0755 "$dir"
	pg_as "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || { echo "pg.bash: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; return 1; }
	pass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	local try
	for try in 1 2 3; do
		port=$(pg_free_port)
		cat >>"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 60
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
		cat >"$dir/data/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 scram-sha-256
EOF
		if pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		[ "$try" = 3 ] && { echo "pg.bash: pg_ctl start failed:" >&2; tail -5 "$dir/server.log" >&2; return 1; }
	done
	"$bin/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE handoff LOGIN PASSWORD '$pass'" >/dev/null || return 1
	cat >"$dir/env" <<EOF
PG_BIN=$bin
PG_PORT=$port
PG_SOCK=$dir
PG_PASS=$pass
PG_DIR=$dir
EOF
}

pg_load_env() { # DIR
	# shellcheck disable=SC1091
	. "$1/env"
}

pg_psql() { # DB SQL: as the superuser, over the socket; rows unaligned, no header
	PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -A -t -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -c "$2"
}

pg_url_of() { # DB: the role handoff's URL of database DB
	echo "postgresql://handoff:$PG_PASS@127.0.0.1:$PG_PORT/$1"
}

pg_new_db() { # NAME: a new database owned by handoff; prints its URL
	pg_psql postgres "DROP DATABASE IF EXISTS \"$1\"" >/dev/null &&
		pg_psql postgres "CREATE DATABASE \"$1\" OWNER handoff TEMPLATE template0" >/dev/null &&
		pg_url_of "$1"
}

pg_cluster_stop() { # DIR: stop and remove
	[ -f "$1/env" ] && pg_load_env "$1"
	pg_resume "$1" # a test that froze it (pg_freeze) and ended early

	if [ -n "${PG_BIN:-}" ] && [ -d "$1/data" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w -t 20 stop >/dev/null 2>&1
	fi
	rm -rf "$1"
}

# pg_freeze DIR / pg_resume DIR: the server and its backends stopped (SIGSTOP) and
# continued: a hung database, whose kernel still accepts and acknowledges
pg_pids() { local pm; pm=$(head -1 "$1/data/postmaster.pid" 2>/dev/null) && [ -n "$pm" ] && echo "$pm" $(pgrep -P "$pm"); }
pg_freeze() { local p; p=$(pg_pids "$1") && kill -STOP $p; }
pg_resume() { local p; p=$(pg_pids "$1") && kill -CONT $p 2>/dev/null; return 0; }

# --- for the end-to-end scripts (after lib.sh) ---

# pg_start: one cluster for this script, removed when it ends; PG_* set
pg_start() {
	PG_DIR=$(mktemp -d /tmp/handoff-pg-XXXXXX)
	CLEANUP+=("pg_cluster_stop '$PG_DIR'")
	pg_cluster_start "$PG_DIR" || return 1
	pg_load_env "$PG_DIR"
	# nothing from the machine's own PostgreSQL settings
	unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS PGSSLMODE
	export PGPASSFILE="$PG_DIR/no-pgpass"
}
pg_db() { pg_new_db "$@"; }
pg_sql() { pg_psql "$@"; }
# the server stopped (fast: clients are told) and started again, on the same port
pg_stop_server() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null; }
pg_start_server() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null; }

# --- as a command (the unit tests) ---
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}
	case "$cmd" in
	start)
		pg_cluster_start "$2" || exit 1
		;;
	db)
		pg_load_env "$2" && pg_new_db "$3"
		;;
	sql)
		pg_load_env "$2" && pg_psql "$3" "$4"
		;;
	stop)
		pg_cluster_stop "$2"
		;;
	*)
		echo "usage: pg.bash start|db|sql|stop DIR ..." >&2
		exit 2
		;;
	esac
fi
