# serve_framing: strict HTTP framing on the real server, one case per rule, each sent
# with a smuggled "GET /metrics" behind it in the same write: the refusal is answered
# with its status and the connection closed, so /metrics is never answered. Also: a %00
# in a signed value is 400 (not a value cut short), bytes that are not UTF-8 reach the
# log escaped, and the server is not dumpable (its tokens stay out of core dumps).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.bash"

check "destinations set up" setup_dests
start_server || { finish; exit 1; }

# raw HEAD BODY: sends HEAD (\r\n-separated lines, written here with \n), an empty line,
# BODY and the smuggled request, in one write; prints everything the server sent back
raw() {
	python3 - "$PORT" "$1" "$2" <<'PY'
import socket, sys
port, head, body = int(sys.argv[1]), sys.argv[2], sys.argv[3]
head = head.encode("latin-1").decode("unicode_escape").encode("latin-1")
body = body.encode("latin-1").decode("unicode_escape").encode("latin-1")
msg = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + body + b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(msg)
s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except socket.timeout:
    out += b"\n(timeout)"
sys.stdout.write(out.decode("latin-1"))
PY
}

# case DESC WANT-STATUS HEAD [BODY]
case_() {
	local out
	out=$(raw "$3" "${4:-}")
	expect_match "$1: $2" "$out" "^HTTP/1.1 $2 "
	expect_no_match "$1: the smuggled request is not read" "$out" 'handoff_requests_total|# HELP'
}

many=""
for i in $(seq 1 101); do many+="X-H$i: v\n"; done
case_ "101 headers" 431 "POST /refer HTTP/1.1\nHost: x\n${many}Content-Length: 0"
seventy=""
for i in $(seq 1 70); do seventy+="X-H$i: v\n"; done
out=$(raw "POST /refer HTTP/1.1\nHost: x\n${seventy}Content-Length: 5" "hello")
expect_match "Content-Length after 70 headers is kept: the request is answered" "$out" '^HTTP/1.1 403 '
expect_match "and the next request is the pipelined GET, not the body" "$out" 'handoff_requests_total'
expect_no_match "the body is not read as a request" "$out" 'HTTP/1.1 400'
case_ "two different Content-Lengths" 400 "POST /refer HTTP/1.1\nHost: x\nContent-Length: 5\nContent-Length: 41" "hello"
case_ "Content-Length with chunked" 400 "POST /refer HTTP/1.1\nHost: x\nContent-Length: 5\nTransfer-Encoding: chunked" "5\r\nhello\r\n0\r\n\r\n"
case_ "a space before the colon" 400 "POST /refer HTTP/1.1\nHost: x\nContent-Length : 5" "hello"
case_ "absolute-form" 400 "GET http://127.0.0.1:$PORT/metrics HTTP/1.1\nHost: x"
case_ "absolute-form to another host and port" 400 "GET http://example.com:81/refer HTTP/1.1\nHost: x"
case_ "%00 in the path" 400 "GET /refer%00/metrics HTTP/1.1\nHost: x"

out=$(raw "GET http://example.com/refer HTTP/1.1\nHost: x" "")
expect_match "the absolute-form refusal says why" "$out" 'absolute-form'

# a %00 inside a signed value: 400, whatever the signature
hook POST /refer CallSid=CA1 'ReferTransferTarget=<sip:billing@agent.example.com>'
expect_eq "a plain signed request still works" "$STATUS" 200
sig=$("$HANDOFF" sig sign --url "$BASE/refer" CallSid=CA2 'ReferTransferTarget=<sip:billing@agent.example.com>')
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $sig" \
	--data-binary 'CallSid=CA2%00x&ReferTransferTarget=%3Csip%3Abilling%40agent.example.com%3E' "$BASE/refer")
expect_eq "%00 in a signed value: 400" "$code" 400

# the log: a path that is not UTF-8 is written escaped, a UTF-8 one as it is
curl -s -o /dev/null "$BASE/caf%C3%A9-%C3%28-%FF"
log=$(server_log)
expect_match "invalid UTF-8 escaped in the log" "$log" 'GET "/café-\\xc3\(-\\xff" 404'
if LC_ALL=C grep -aq $'\xff' "$T/serve.log"; then not_ok "no raw 0xff byte in the log"; else ok; fi
expect_match "the limits are logged at start" "$log" 'serve: limits: [0-9]+ connections, 64 per client address; deadlines: head 5s, body 10s, keep-alive 5s'

m=$(curl -s "$BASE/metrics")
expect_match "framing refusals counted" "$m" 'handoff_http_framing_refused_total [1-9]'
expect_match "busy workers shown" "$m" 'handoff_http_workers_busy [0-9]+'
expect_match "head deadline shown" "$m" 'handoff_http_limit\{name="head_timeout_seconds"\} 5'

# not dumpable: /proc/PID/* of a non-dumpable process belongs to root, whoever runs it;
# so this looks from a server run as another user (nobody) when the test runs as root
stop_server
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0777 "$T" && chmod 0666 "$HANDOFF_DB"* 2>/dev/null
	PORT=$(free_port)
	setpriv --reuid=65534 --regid=65534 --clear-groups "$HANDOFF" serve --listen "127.0.0.1:$PORT" 2>>"$T/serve.log" &
	SERVER_PID=$!
	if wait_http "http://127.0.0.1:$PORT/healthz" 15; then
		expect_eq "serve runs as nobody" "$(awk '/^Uid:/ {print $2}' /proc/$SERVER_PID/status)" 65534
		expect_eq "serve is not dumpable (its /proc files are root's)" "$(stat -c %u /proc/$SERVER_PID/environ)" 0
	else
		not_ok "serve as nobody did not start" "$(tail -3 "$T/serve.log")"
	fi
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
elif [ "$(id -u)" != 0 ]; then
	start_server || { finish; exit 1; }
	expect_eq "serve is not dumpable (its /proc files are root's)" "$(stat -c %u /proc/$SERVER_PID/environ)" 0
	stop_server
else
	skip "serve_framing: no setpriv to check PR_SET_DUMPABLE"
fi
finish
