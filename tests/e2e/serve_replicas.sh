# serve_replicas: two `handoff serve` replicas on one PostgreSQL database. A promote through
# the CLI is served by both within a second; under a bounded wrk load on both, 100
# promotes and rollbacks give zero failed requests and zero answers from a half-applied
# set; with PostgreSQL stopped under load both keep answering the last version, say
# "degraded" on /healthz (still 200) and in /metrics, log it once a second at most, and
# once it is back both serve a promote made meanwhile (also when they were cut off while
# the promote was made). The password never shows in ps, the logs or /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refer_load.bash"
need_pg

command -v wrk >/dev/null || { skip "serve_replicas: wrk is not installed"; finish; exit 0; }
export TWILIO_AUTH_TOKEN="e2e-token-$$-$RANDOM"
HANDOFF_DB=$(pg_db replicas) || { not_ok "a database"; finish; exit 1; }
export HANDOFF_DB

set_file() { # LETTER TIMEOUT: a destination set where every field says LETTER
	local l=$1 t=$2 i sep=""
	printf '{"format":"handoff-destinations","format_version":1,"destinations":['
	for i in 1 2 3 4 5; do
		printf '%s{"name":"d%d","route":"sip:d%d-%s@pbx.example.com","timeout":%d,"headers":[{"name":"X-Set","value":"%s"}]}' \
			"$sep" "$i" "$i" "$l" "$t" "$l"
		sep=","
	done
	printf ']}\n'
}
set_file A 21 >"$T/a.json"
set_file B 22 >"$T/b.json"
check "import A" "$HANDOFF" import "$T/a.json"
check "promote A (v1)" "$HANDOFF" promote --message A
check "import B" "$HANDOFF" import "$T/b.json"
check "promote B (v2)" "$HANDOFF" promote --message B

# the replicas only read: a role of their own that may only SELECT
RPASS="replica-$RANDOM$RANDOM"
pg_sql replicas "CREATE ROLE replica LOGIN PASSWORD '$RPASS'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO replica" >/dev/null
RDB="postgresql://replica:$RPASS@127.0.0.1:$PG_PORT/replicas"

PIDS=()
CLEANUP+=('for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done')
PORTS=()
for r in 1 2; do
	port=$(free_port)
	"$HANDOFF" serve --listen "127.0.0.1:$port" --db "$RDB" --threads 8 2>"$T/serve$r.log" &
	PIDS+=($!)
	PORTS+=("$port")
done
for r in 0 1; do
	wait_http "http://127.0.0.1:${PORTS[$r]}/healthz" 15 || { not_ok "replica $((r + 1)) did not start" "$(tail -3 "$T/serve$((r + 1)).log")"; finish; exit 1; }
done
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }

# letter PORT: the set replica PORT answers for d1 now (A or B; anything else is a mix)
letter() {
	local url="http://127.0.0.1:$1/refer" sig body
	sig=$("$HANDOFF" sig sign --url "$url" CallSid=CA1 'ReferTransferTarget=<sip:d1@agent.example.com>')
	body=$(curl -s -H "X-Twilio-Signature: $sig" --data-urlencode CallSid=CA1 \
		--data-urlencode 'ReferTransferTarget=<sip:d1@agent.example.com>' "$url")
	python3 - "$body" <<'PY'
import re, sys
b = sys.argv[1]
r = re.search(r"<Sip>sip:d1-(\w)@", b); h = re.search(r"X-Set=(\w)<", b); t = re.search(r'timeout="(\d+)"', b)
got = (r and r.group(1), h and h.group(1), t and t.group(1))
print({("A", "A", "21"): "A", ("B", "B", "22"): "B"}.get(got, "mixed %s" % (got,)))
PY
}
expect_eq "replica 1 serves version 2" "$(letter "${PORTS[0]}")" B
expect_eq "replica 2 serves version 2" "$(letter "${PORTS[1]}")" B

# --- a promote through the CLI, served by both within a second ---
# until_both VERSION LETTER: seconds until both replicas serve VERSION as live (from
# /metrics: one curl each per try), then answer with LETTER's set; "never" after 3 s
until_both() {
	local t0 i dt
	t0=$(date +%s%N)
	for ((i = 0; i < 300; i++)); do
		if [ "$(metric "${PORTS[0]}" handoff_live_version)" = "$1" ] &&
			[ "$(metric "${PORTS[1]}" handoff_live_version)" = "$1" ]; then
			dt=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
			[ "$(letter "${PORTS[0]}")" = "$2" ] && [ "$(letter "${PORTS[1]}")" = "$2" ] && { echo "$dt"; return 0; }
			break
		fi
		sleep 0.01
	done
	echo never
	return 1
}
worst=0
for k in 1 2 3 4; do
	if [ $((k % 2)) = 1 ]; then want=A; v=1; else want=B; v=2; fi
	check "rollback to version $v" "$HANDOFF" rollback "$v"
	dt=$(until_both "$v" "$want")
	if [ "$dt" != never ] && awk -v d="$dt" 'BEGIN { exit !(d < 1.0) }'; then ok; else not_ok "rollback to $v: both replicas serve it within a second" "took: $dt s"; fi
	worst=$(awk -v a="$worst" -v b="$dt" 'BEGIN { print (b != "never" && b > a) ? b : a }')
done
echo "  a change served by both replicas at most $worst s after the CLI returned"
n1=$(metric "${PORTS[0]}" handoff_store_notices_total)
if [ "${n1:-0}" -ge 4 ]; then ok; else not_ok "replica 1 was told of each change (LISTEN/NOTIFY)" "notices: $n1"; fi

# --- the load: five signed requests per replica, round-robin, checked answer by answer ---
refer_load_lua "${PORTS[0]}" load 1 >"$T/load1.lua" # 1 ms: at most ~1000 requests/s per connection
refer_load_lua "${PORTS[1]}" load 1 >"$T/load2.lua"
WRK=()
start_load() { # SECONDS TAG: wrk on both replicas (bounded: it stops by itself)
	WRK=()
	local r
	for r in 1 2; do
		timeout $(($1 + 10)) wrk -t 1 -c 4 -d "$1s" -s "$T/load$r.lua" "http://127.0.0.1:${PORTS[$((r - 1))]}/refer" >"$T/wrk$r-$2.out" 2>&1 &
		WRK+=($!)
	done
	sleep 0.5
}
stop_load() { # TAG: wrk prints its summary (and our done()) on SIGINT
	local p r
	for p in "${WRK[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${WRK[@]}"; do wait "$p"; done
	for r in 1 2; do
		line=$(grep '^load:' "$T/wrk$r-$1.out")
		expect_match "$1: replica $r: the load ran" "$line" 'load: requests=[1-9][0-9]*'
		expect_match "$1: replica $r: no answer from a half-applied set" "$line" 'mixed=0 '
		expect_match "$1: replica $r: no failed request" "$line" 'non200=0 socket_errors=0 '
		echo "  $1: replica $r: $line"
	done
}

start_load 120 cycles
t0=$(date +%s)
swaps=0
for i in $(seq 1 100); do
	if [ $((i % 10)) -eq 0 ]; then
		# a promote: a new version with the other set's content
		if [ $((i % 20)) -eq 0 ]; then f=a; else f=b; fi
		"$HANDOFF" import "$T/$f.json" >/dev/null 2>>"$T/cycles.err" && "$HANDOFF" promote --message "swap $i" >/dev/null 2>>"$T/cycles.err" && swaps=$((swaps + 1))
	else
		"$HANDOFF" rollback $((2 - i % 2)) >/dev/null 2>>"$T/cycles.err" && swaps=$((swaps + 1))
	fi
done
t1=$(date +%s)
[ -s "$T/cycles.err" ] && echo "  cycles: $(head -3 "$T/cycles.err")"
sleep 0.5
stop_load cycles
expect_eq "100 promotes/rollbacks done" "$swaps" 100
expect_match "both versions were served" "$(cat "$T/wrk1-cycles.out" "$T/wrk2-cycles.out")" 'A=[1-9][0-9]* B=[1-9][0-9]*'
echo "  100 promotes/rollbacks took $((t1 - t0)) s"
live=$("$HANDOFF" versions --json | python3 -c 'import json,sys; print([v["version"] for v in json.load(sys.stdin) if v["live"]][0])')
for r in 0 1; do
	for _ in $(seq 1 20); do [ "$(metric "${PORTS[$r]}" handoff_live_version)" = "$live" ] && break; sleep 0.1; done
	expect_eq "replica $((r + 1)) serves the last version ($live)" "$(metric "${PORTS[$r]}" handoff_live_version)" "$live"
done

# --- PostgreSQL stopped under load: the last version served, degraded said ---
before=$(letter "${PORTS[0]}")
start_load 60 stopped
pg_stop_server || not_ok "pg_ctl stop"
sleep 1
# the log says so once a second at most, however often the replica tries to reconnect
log0=$(grep -c 'cannot reload the database' "$T/serve1.log")
s0=$(date +%s%N)
sleep 3
for r in 0 1; do
	base="http://127.0.0.1:${PORTS[$r]}"
	expect_eq "stopped: replica $((r + 1)) answers the last version" "$(letter "${PORTS[$r]}")" "$before"
	expect_eq "stopped: replica $((r + 1)) /healthz says degraded" "$(curl -s "$base/healthz")" "degraded: serving version $live, store unreachable"
	expect_eq "stopped: replica $((r + 1)) /healthz is still 200" "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" 200
	expect_match "stopped: replica $((r + 1)) /metrics says so" "$(curl -s "$base/metrics")" 'handoff_store_up\{backend="postgresql"\} 0'
done
log1=$(grep -c 'cannot reload the database' "$T/serve1.log")
secs=$(( ($(date +%s%N) - s0) / 1000000000 + 1 ))
if [ $((log1 - log0)) -ge 1 ] && [ $((log1 - log0)) -le "$secs" ]; then ok; else not_ok "stopped: logged, once a second at most" "$((log1 - log0)) lines in under $secs s"; fi
expect_match "stopped: the log says why" "$(cat "$T/serve1.log")" "cannot reload the database .*cannot connect to postgresql://replica:\*\*\*@127\.0\.0\.1:$PG_PORT/replicas.*; still serving live version $live"
pg_start_server || not_ok "pg_ctl start"
# a promote made as soon as PostgreSQL is back (the replicas are still waiting to reconnect)
if [ "$before" = A ]; then after=B; v=2; else after=A; v=1; fi
check "back: a rollback to version $v" "$HANDOFF" rollback "$v"
dt=$(until_both "$v" "$after")
if [ "$dt" != never ]; then ok; else not_ok "back: both replicas serve the change made meanwhile"; fi
echo "  PostgreSQL back: both replicas served the change made meanwhile after $dt s"
for r in 0 1; do
	expect_eq "back: replica $((r + 1)) /healthz ok" "$(curl -s "http://127.0.0.1:${PORTS[$r]}/healthz")" "ok"
	rc=$(metric "${PORTS[$r]}" handoff_store_reconnects_total)
	if [ "${rc:-0}" -ge 1 ]; then ok; else not_ok "back: replica $((r + 1)) counts its reconnection" "got: $rc"; fi
done
for _ in $(seq 1 30); do grep -q 'can be read again' "$T/serve1.log" && break; sleep 0.1; done # the main loop notes it within a second
expect_match "back: the log says so" "$(grep 'can be read again' "$T/serve1.log")" 'serve: the database postgresql://replica:\*\*\*@.* can be read again \(1 reconnection so far\)'
stop_load stopped

# --- cut off while a promote is made (their role may not log in), then let back in ---
before=$after
pg_sql replicas "ALTER ROLE replica NOLOGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'replica'" >/dev/null
for r in 0 1; do
	for _ in $(seq 1 30); do [ "$(metric "${PORTS[$r]}" 'handoff_store_up{backend="postgresql"}')" = 0 ] && break; sleep 0.1; done
	expect_eq "cut off: replica $((r + 1)) knows" "$(curl -s "http://127.0.0.1:${PORTS[$r]}/healthz")" "degraded: serving version $v, store unreachable"
done
if [ "$before" = A ]; then after=B; v=2; else after=A; v=1; fi
check "cut off: a rollback to version $v meanwhile" "$HANDOFF" rollback "$v"
sleep 1
expect_eq "cut off: replica 1 still serves what it had" "$(letter "${PORTS[0]}")" "$before"
pg_sql replicas "ALTER ROLE replica LOGIN" >/dev/null
dt=$(until_both "$v" "$after")
if [ "$dt" != never ]; then ok; else not_ok "let back in: both replicas serve the change made meanwhile"; fi
echo "  let back in: both replicas served the change made while they were cut off after $dt s"

# --- hung (every PostgreSQL process stopped: connections accepted, nothing answered) ---
before=$after
start_load 60 hung
pg_freeze "$PG_DIR"
t0=$(date +%s)
for r in 0 1; do
	for _ in $(seq 1 200); do [ "$(curl -s "http://127.0.0.1:${PORTS[$r]}/healthz")" != ok ] && break; sleep 0.1; done
	expect_eq "hung: replica $((r + 1)) says degraded (its query unanswered)" "$(curl -s "http://127.0.0.1:${PORTS[$r]}/healthz")" "degraded: serving version $v, store unreachable"
	expect_eq "hung: replica $((r + 1)) answers what it had" "$(letter "${PORTS[$r]}")" "$before"
done
echo "  hung: both replicas degraded after $(($(date +%s) - t0)) s (a statement is given up after 10 s)"
t1=$(date +%s)
expect_exit "hung: a command gives up" 1 timeout 30 "$HANDOFF" dest list
expect_match "in one line" "$(cat "$T/err")" "^handoff: dest list: (cannot connect to|no answer from) postgresql://handoff:\*\*\*@"
t2=$(date +%s)
if [ $((t2 - t1)) -le 12 ]; then ok; else not_ok "hung: the command gave up in time" "took $((t2 - t1)) s"; fi
pg_resume "$PG_DIR"
if [ "$before" = A ]; then after=B; v=2; else after=A; v=1; fi
check "resumed: a rollback to version $v" "$HANDOFF" rollback "$v"
dt=$(until_both "$v" "$after")
if [ "$dt" != never ]; then ok; else not_ok "resumed: both replicas serve the change"; fi
echo "  resumed: both replicas served the change after $dt s"
stop_load hung

# --- the password: never in ps, the logs or /metrics ---
for r in 0 1; do
	args=$(ps -o args= -p "${PIDS[$r]}")
	expect_match "ps: replica $((r + 1)) shows its database" "$args" "--db postgresql://replica:\*\*\*@127\.0\.0\.1:$PG_PORT/replicas"
	expect_no_match "ps: replica $((r + 1)) hides the password" "$args" "$RPASS"
	expect_no_match "/metrics of replica $((r + 1)): no password" "$(curl -s "http://127.0.0.1:${PORTS[$r]}/metrics")" "$RPASS"
done
expect_no_match "the logs: no password" "$(cat "$T/serve1.log" "$T/serve2.log")" "$RPASS"

# a replica that cannot reach its database when it starts has nothing to serve: it exits
port=$(free_port)
expect_exit "a replica with its database unreachable does not start" 1 timeout 20 "$HANDOFF" serve \
	--listen "127.0.0.1:$port" --db "postgresql://replica:$RPASS@127.0.0.1:$(free_port)/replicas"
expect_match "it says why, in one line and a hint" "$(head -1 "$T/err")" "^handoff: serve: cannot connect to postgresql://replica:\*\*\*@127\.0\.0\.1:[0-9]+/replicas: .*refused"
expect_no_match "without the password" "$(cat "$T/err")" "$RPASS"

for p in "${PIDS[@]}"; do kill -TERM "$p"; done
for p in "${PIDS[@]}"; do
	wait "$p"
	expect_eq "replica exits 0 on SIGTERM" "$?" 0
done
PIDS=()
finish
