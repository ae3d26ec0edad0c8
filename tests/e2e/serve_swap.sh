# serve_swap: 100 promotes and rollbacks while a bounded load runs against the
# server: zero failed requests, and no answer from a half-applied set. Each
# version stamps its letter in three fields of every destination (the route,
# a header, the timeout), so an answer mixing two versions is detectable.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

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
{
	echo 'local reqs = {}'
	for i in 1 2 3 4 5; do
		body="CallSid=CA$i&ReferTransferTarget=%3Csip%3Ad$i%40agent.example.com%3E"
		sig=$("$HANDOFF" sig sign --url "$BASE/refer" "CallSid=CA$i" "ReferTransferTarget=<sip:d$i@agent.example.com>")
		printf 'reqs[%d] = wrk.format("POST", "/refer", {["Host"]="127.0.0.1:%s", ["Content-Type"]="application/x-www-form-urlencoded", ["X-Twilio-Signature"]="%s"}, "%s")\n' "$i" "$PORT" "$sig" "$body"
	done
	cat <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n = 0; a = 0; b = 0; mixed = 0; non200 = 0 end
function request() n = n + 1; return reqs[(n % 5) + 1] end
function response(status, headers, body)
	if status ~= 200 then non200 = non200 + 1; return end
	local r = body:match("<Sip>sip:d%d%-(%a)@")
	local h = body:match("X%-Set=(%a)<")
	local t = body:match('timeout="(%d+)"')
	if r == "A" and h == "A" and t == "21" then a = a + 1
	elseif r == "B" and h == "B" and t == "22" then b = b + 1
	else mixed = mixed + 1 end
end
function done(summary, latency, requests)
	local a_, b_, m_, n_ = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		a_ = a_ + t:get("a"); b_ = b_ + t:get("b"); m_ = m_ + t:get("mixed"); n_ = n_ + t:get("non200")
	end
	local e = summary.errors
	io.write(string.format("swap: requests=%d A=%d B=%d mixed=%d non200=%d socket_errors=%d (connect %d read %d write %d timeout %d)\n",
		summary.requests, a_, b_, m_, n_, e.connect + e.read + e.write + e.timeout,
		e.connect, e.read, e.write, e.timeout))
end
LUA
} >"$T/load.lua"

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
