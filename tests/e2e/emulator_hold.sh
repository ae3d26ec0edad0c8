# emulator_hold: the emulator stays up. A Voice URL pointing at the emulator itself is
# refused with 11200 in the timeline, never fetched; twenty referUrl fetches hanging in a
# slow app do not stop an unrelated REST request; 10 000 calls created and hung up
# succeed with flat memory (finished calls are released after their retention). RSS is
# measured on bin/handoff when it is there (the sanitizers' quarantine keeps freed memory
# by design); every other check runs on $HANDOFF as well. Bounded: the slow app sleeps
# 20 s at most and is killed at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

start_emulator
num() { # PHONE VOICEURL
	api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json" "PhoneNumber=$1" "VoiceUrl=$2"
}
ctl() { curl -s --max-time 20 "$@"; }

# 1. a Voice URL at the emulator's own listener
num +14155550101 "http://127.0.0.1:$EMU_PORT/voice" >/dev/null
start=$(date +%s%N)
ctl -o "$T/self.json" --data-urlencode From=+14155550100 --data-urlencode To=+14155550101 "$BASE/emulator/calls"
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 3000 ]; then ok; else not_ok "self-pointing Voice URL answered at once" "${ms} ms"; fi
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sid"])' "$T/self.json")
ev=$(ctl "$BASE/emulator/calls/$sid/events")
expect_match "the timeline has 11200 and why" "$ev" 'own listener[^}]*"code": ?11200'
expect_no_match "it was never fetched (no answer event)" "$ev" '"kind": ?"answer"'
for u in "http://localhost:$EMU_PORT/x" "http://127.0.0.2:$EMU_PORT/x" "http://[::1]:$EMU_PORT/x"; do
	num +14155550102 "$u" >/dev/null
	api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json?PhoneNumber=%2B14155550102" | python3 -c 'import json,sys; print(json.load(sys.stdin)["incoming_phone_numbers"][0]["sid"])').json" "VoiceUrl=$u" >/dev/null
	s=$(ctl --data-urlencode From=+14155550100 --data-urlencode To=+14155550102 "$BASE/emulator/calls" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["sid"])')
	expect_match "$u is the emulator too" "$(ctl "$BASE/emulator/calls/$s/events")" '"code": ?11200'
done

# 2. twenty referUrl fetches hanging in a slow app
APP_PORT=$(free_port)
python3 - "$APP_PORT" >"$T/app.log" 2>&1 <<'PY' &
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/refer"):
            time.sleep(20)  # bounded: the test ends before this does
        body = b'<Response><Dial answerOnBridge="true" referUrl="/refer"><Sip>sip:agent@pbx.example.com</Sip></Dial></Response>'
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
APP_PID=$!
CLEANUP+=("kill $APP_PID 2>/dev/null")
wait_http "http://127.0.0.1:$APP_PORT/" 10 || true
num +14155550110 "http://127.0.0.1:$APP_PORT/voice" >/dev/null
agents=()
for i in $(seq 1 20); do
	a=$(ctl --data-urlencode From=+1415555$((1000 + i)) --data-urlencode To=+14155550110 "$BASE/emulator/calls" |
		python3 -c 'import json,sys; print([l["sid"] for l in json.load(sys.stdin)["legs"] if l["label"] == "A"][0])')
	agents+=("$a")
done
expect_eq "twenty calls bridged to the agent" "${#agents[@]}" 20
pids=()
for a in "${agents[@]}"; do
	curl -s -o /dev/null --max-time 25 --data-urlencode 'ReferTo=<sip:billing@pbx.example.com>' \
		"$BASE/emulator/calls/$a/refer" &
	pids+=($!)
done
CLEANUP+=('for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done')
sleep 1.5
start=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u "$AC:$TOK" "$BASE/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json")
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "an unrelated REST request is answered while 20 fetches hang" "$code" 200
if [ "$ms" -lt 2000 ]; then ok; else not_ok "and at once" "${ms} ms"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -d Profile=plivo -d From=+14155550100 -d To=+14155550199 "$BASE/emulator/calls")
expect_eq "a new call is created meanwhile" "$code" 201
running=$(jobs -rp | wc -l)
if [ "$running" -ge 20 ]; then ok; else not_ok "the twenty refers were still hanging" "running: $running"; fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
kill "$APP_PID" 2>/dev/null
stop_emulator >/dev/null 2>&1

# 3. 10 000 create-and-hang-up cycles, RSS after 1 000 and after 10 000
BIN=$HANDOFF
[ -x "$ROOT/bin/handoff" ] && BIN=$ROOT/bin/handoff
EMU_PORT=$(free_port)
HANDOFF_EMULATOR_AUTH_TOKEN=$TOK "$BIN" emulator --listen "127.0.0.1:$EMU_PORT" --account-sid "$AC" >"$T/emu2.out" 2>"$T/emu2.err" &
EMU_PID=$!
CLEANUP+=("kill $EMU_PID 2>/dev/null")
wait_http "http://127.0.0.1:$EMU_PORT/healthz" 20 || { not_ok "emulator did not start"; finish; exit 1; }
python3 - "$EMU_PORT" "$EMU_PID" >"$T/cycles.out" 2>&1 <<'PY'
import http.client, json, sys, urllib.parse
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
ok = 0
first = None
marks = {}
for i in range(1, 10001):
    body = urllib.parse.urlencode({"Profile": "plivo", "From": "+14155550100", "To": "+14155550199"})
    c.request("POST", "/emulator/calls", body, {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); d = r.read()
    if r.status != 201:
        print("create %d: %d %s" % (i, r.status, d[:200])); break
    sid = json.loads(d)["sid"]
    first = first or sid
    c.request("POST", "/emulator/calls/%s/hangup" % sid, "", {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    if r.status != 200:
        print("hangup %d: %d" % (i, r.status)); break
    ok += 1
    if i in (1000, 10000):
        marks[i] = rss()
    if i == 5:
        c.request("GET", "/emulator/calls/%s" % sid); r = c.getresponse(); r.read()
        marks["readable"] = r.status
c.request("GET", "/emulator/calls/%s" % first); r = c.getresponse(); r.read()
print("cycles %d rss1000 %s rss10000 %s readable %s first_after %d" % (ok, marks.get(1000), marks.get(10000), marks.get("readable"), r.status))
PY
out=$(cat "$T/cycles.out")
echo "emulator_hold: $out"
expect_match "10 000 create-and-hang-up cycles succeed" "$out" '^cycles 10000 '
r1=$(awk '{print $4}' <<<"$out")
r2=$(awk '{print $6}' <<<"$out")
if [ -n "$r1" ] && [ -n "$r2" ] && [ $((r2 - r1)) -lt 4096 ]; then ok; else not_ok "memory flat from 1 000 to 10 000 cycles (under 4 MB more)" "$out"; fi
expect_match "a finished call is readable within its retention" "$out" 'readable 200'
expect_match "the oldest finished call is released past the retention" "$out" 'first_after 404'
kill "$EMU_PID"
wait "$EMU_PID" 2>/dev/null
finish
