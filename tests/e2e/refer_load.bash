# refer_load.bash: the wrk script of the swap and replica tests: five signed /refer requests
# (destinations d1..d5), round-robin, each answer sorted into set A (route sip:dN-A@,
# X-Set=A, timeout 21), set B (-B, X-Set=B, 22) or mixed (anything else). Source after
# lib.sh, with TWILIO_AUTH_TOKEN set to the server's token.

# refer_load_lua PORT LABEL [DELAY_MS]: prints the script for the server on 127.0.0.1:PORT
# (signed for http://127.0.0.1:PORT/refer); wrk's summary line starts "LABEL: requests=".
# DELAY_MS: the pause before each request (bounds the rate per connection).
refer_load_lua() {
	local port=$1 label=$2 delay=${3:-} i body sig
	echo 'local reqs = {}'
	for i in 1 2 3 4 5; do
		body="CallSid=CA$i&ReferTransferTarget=%3Csip%3Ad$i%40agent.example.com%3E"
		sig=$("$HANDOFF" sig sign --url "http://127.0.0.1:$port/refer" "CallSid=CA$i" "ReferTransferTarget=<sip:d$i@agent.example.com>")
		printf 'reqs[%d] = wrk.format("POST", "/refer", {["Host"]="127.0.0.1:%s", ["Content-Type"]="application/x-www-form-urlencoded", ["X-Twilio-Signature"]="%s"}, "%s")\n' "$i" "$port" "$sig" "$body"
	done
	printf 'local label = "%s"\n' "$label"
	[ -n "$delay" ] && printf 'function delay() return %d end\n' "$delay"
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
	io.write(string.format("%s: requests=%d A=%d B=%d mixed=%d non200=%d socket_errors=%d (connect %d read %d write %d timeout %d)\n",
		label, summary.requests, a_, b_, m_, n_, e.connect + e.read + e.write + e.timeout,
		e.connect, e.read, e.write, e.timeout))
end
LUA
}
