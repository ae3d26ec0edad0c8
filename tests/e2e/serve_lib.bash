# serve_lib.sh: starting `handoff serve` on a free loopback port and talking to
# it as Twilio does (signed with `handoff sig sign`). Source after lib.sh.
export TWILIO_AUTH_TOKEN="e2e-token-$$-$RANDOM"
HANDOFF_DB=$(new_db handoff.db) # a file in $T, or a database of the PostgreSQL run's cluster
export HANDOFF_DB
unset TWILIO_AUTH_TOKEN_SECONDARY
SERVER_PID=""
# only the server still running (never a PID that has already been reaped)
CLEANUP+=('[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null')

# start_server ARGS...: starts the server (log in $T/serve.log), sets PORT, BASE, SERVER_PID.
start_server() {
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	"$HANDOFF" serve --listen "127.0.0.1:$PORT" "$@" 2>>"$T/serve.log" &
	SERVER_PID=$!
	wait_http "$BASE/healthz" 15 || { not_ok "server did not start" "$(tail -5 "$T/serve.log")"; return 1; }
}

# stop_server: SIGTERM, and the exit status in STOP_RC.
stop_server() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	STOP_RC=$?
	SERVER_PID=""
}

# hook METHOD PATH [NAME=VALUE...]: a signed webhook; the status in $STATUS, the body in $T/body.
# SIGN_URL overrides the URL signed; SIG overrides the signature ("" = no header).
hook() {
	local method=$1 path=$2 sig url
	shift 2
	local args=()
	for kv in "$@"; do args+=(--data-urlencode "$kv"); done
	if [ "$method" = GET ]; then
		local q=""
		for kv in "$@"; do
			q+="${q:+&}${kv%%=*}=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1],safe=""))' "${kv#*=}")"
		done
		url="$BASE$path${q:+?$q}"
		sig=$("$HANDOFF" sig sign --url "${SIGN_URL:-$url}")
		[ -n "${SIG+x}" ] && sig=$SIG
		STATUS=$(curl -s -o "$T/body" -w '%{http_code}' ${sig:+-H "X-Twilio-Signature: $sig"} "$url")
	else
		url="$BASE$path"
		sig=$("$HANDOFF" sig sign --url "${SIGN_URL:-$url}" "$@")
		[ -n "${SIG+x}" ] && sig=$SIG
		STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" ${sig:+-H "X-Twilio-Signature: $sig"} "${args[@]}" "$url")
	fi
}

# lint_twiml FILE: well-formed XML, and `twiml lint` clean when this build has it.
lint_twiml() {
	if "$HANDOFF" twiml lint --help >/dev/null 2>&1; then
		"$HANDOFF" twiml lint "$1" >/dev/null 2>&1
	else
		xmllint --noout "$1" 2>/dev/null
	fi
}

# setup_dests: live version 1 = billing (sip, headers) + front-desk (number);
# the sandbox then moves billing to billing-v2.
setup_dests() {
	"$HANDOFF" dest add billing --route 'sip:billing@pbx.example.com' \
		--header 'X-Caller: $caller_id' --header 'X-Account: $refer.X-Account' \
		--header 'X-Call: $call_sid' >/dev/null &&
		"$HANDOFF" dest add front-desk --route '+14155550123' --timeout 20 >/dev/null &&
		"$HANDOFF" promote --message v1 >/dev/null &&
		"$HANDOFF" dest set billing --route 'sip:billing-v2@pbx.example.com' >/dev/null
}

# server_log: the server's log so far (it writes its lines in batches, every 20 ms).
server_log() {
	sleep 0.15
	cat "$T/serve.log"
}
