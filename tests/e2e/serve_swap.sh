# serve_swap: 100 promotes and rollbacks while a bounded load runs against the
# server: zero failed requests, and no answer from a half-applied set. Each
# version stamps its letter in three fields of every destination (the route,
# a header, the timeout), so an answer mixing two versions is detectable.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"
. "$(dirname "$0")/refer_load.bash"

command -v wrk >/dev/null || { skip "serve_swap: wrk is not installed"; finish; exit 0; }

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

start_server --threads 32 || { finish; exit 1; }

# the load: five signed requests (one per destination), round-robin
refer_load_lua "$PORT" swap >"$T/load.lua"

timeout 90 wrk -t 1 -c 4 -d 80s -s "$T/load.lua" "$BASE/refer" >"$T/wrk.out" 2>&1 &
wrk_pid=$!
sleep 0.5
t0=$(date +%s)
swaps=0
for i in $(seq 1 100); do
	if [ $((i % 10)) -eq 0 ]; then
		# a promote: a new version with the other set's content
		if [ $((i % 20)) -eq 0 ]; then f=a; else f=b; fi
		"$HANDOFF" import "$T/$f.json" >/dev/null 2>&1 && "$HANDOFF" promote --message "swap $i" >/dev/null 2>&1 && swaps=$((swaps + 1))
	else
		"$HANDOFF" rollback $((2 - i % 2)) >/dev/null 2>&1 && swaps=$((swaps + 1))
	fi
done
t1=$(date +%s)
sleep 0.5
kill -INT "$wrk_pid" # wrk prints its summary (and our done()) on SIGINT
wait "$wrk_pid"
out=$(cat "$T/wrk.out")
line=$(grep '^swap:' "$T/wrk.out")
expect_eq "100 promotes/rollbacks done" "$swaps" 100
if kill -0 "$SERVER_PID" 2>/dev/null; then ok; else not_ok "server still up"; fi
expect_match "the load ran through every swap" "$line" 'swap: requests=[0-9]+'
expect_match "both versions were served" "$line" 'A=[1-9][0-9]* B=[1-9][0-9]*'
expect_match "no answer from a half-applied set" "$line" 'mixed=0 '
expect_match "no failed request" "$line" 'non200=0 socket_errors=0 '
echo "  $line; swaps took $((t1 - t0)) s"
stop_server
expect_eq "SIGTERM after the load: exit 0" "$STOP_RC" 0
finish
