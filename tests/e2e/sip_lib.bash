# sip_lib.bash: helpers for the sip_*.sh scripts (source after lib.sh): `handoff emulator
# --sip` on loopback, the stand-in app (tests/sip/app.py), SIPp parties running this
# project's scenarios (tests/sip/*.xml), each bounded in time, and the timeline.
SIPP_DIR=$ROOT/tests/sip
if ! command -v sipp >/dev/null; then
	skip "sipp (Debian's sip-tester) is not installed: bash scripts/install-deps.sh"
	finish
	exit 0
fi
if "$HANDOFF" emulator --sip 127.0.0.1:0 --listen 127.0.0.1:1 --auth-token-file /nonexistent 2>&1 |
	grep -q 'built without SIP'; then
	skip "this handoff was built without SIP (libre-dev missing at build time)"
	finish
	exit 0
fi
# SIP_KEEP=1 keeps the SIPp logs and the emulator's output ($T) for a look afterwards.
if [ -n "${SIP_KEEP:-}" ]; then
	trap 'for c in "${CLEANUP[@]}"; do eval "$c"; done; echo "kept $T"' EXIT
fi
AC=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
TOK=tok$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

# sip_port: a port free for both UDP and TCP on 127.0.0.1.
sip_port() {
	python3 - <<'PY'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
PY
}

# start_app: the stand-in app on a free port; answers /NAME with $T/app/NAME.xml. Sets APP.
start_app() {
	mkdir -p "$T/app"
	python3 "$SIPP_DIR/app.py" "$T/app" "$T/app.port" 2>"$T/app.err" &
	APP_PID=$!
	CLEANUP+=("kill $APP_PID 2>/dev/null")
	local i
	for ((i = 0; i < 100; i++)); do [ -f "$T/app.port" ] && break; sleep 0.05; done
	APP=http://127.0.0.1:$(cat "$T/app.port")
}
# app NAME XML: what /NAME answers.
app() { printf '%s\n' "$2" >"$T/app/$1.xml"; }

# start_sip_emulator [ARGS...]: the emulator with --sip on free ports. Sets BASE, SIP (its
# ADDR:PORT), EMU_PID.
start_sip_emulator() {
	local port
	port=$(free_port)
	HANDOFF_EMULATOR_AUTH_TOKEN=$TOK "$HANDOFF" emulator --listen "127.0.0.1:$port" \
		--account-sid "$AC" --sip 127.0.0.1:0 "$@" >"$T/emu.out" 2>"$T/emu.err" &
	EMU_PID=$!
	CLEANUP+=("kill $EMU_PID 2>/dev/null")
	BASE=http://127.0.0.1:$port
	wait_http "$BASE/healthz" 20 || { not_ok "the emulator did not start" "$(cat "$T/emu.err")"; finish; exit 1; }
	local i
	for ((i = 0; i < 50; i++)); do
		SIP=$(sed -n 's/^sip listening on udp+tcp //p' "$T/emu.out")
		[ -n "$SIP" ] && break
		sleep 0.1
	done
	[ -n "$SIP" ] || { not_ok "the emulator does not say where SIP listens" "$(cat "$T/emu.out" "$T/emu.err")"; finish; exit 1; }
	SIP_PORT=${SIP##*:}
}
# stop_emulator: SIGTERM; its exit status (ASan's leak check runs at exit).
stop_emulator() {
	kill -TERM "$EMU_PID"
	wait "$EMU_PID"
}

# api METHOD PATH [NAME=VALUE...]: the REST twin.
api() {
	local m=$1 p=$2 args=()
	shift 2
	for a in "$@"; do args+=(--data-urlencode "$a"); done
	curl -s --max-time 10 -u "$AC:$TOK" -X "$m" "${args[@]}" "$BASE$p"
}
# number NUMBER [NAME=VALUE...]: provisions a number (VoiceUrl=..., TrunkSid=...).
number() {
	local n=$1
	shift
	api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json" PhoneNumber="$n" "$@" >/dev/null
}
# ctl METHOD PATH [NAME=VALUE...]: the control endpoints; status in $STATUS, JSON in $J.
ctl() {
	local m=$1 p=$2 args=()
	shift 2
	for a in "$@"; do args+=(--data-urlencode "$a"); done
	STATUS=$(curl -s -o "$T/ctl.json" -w '%{http_code}' --max-time 60 -X "$m" "${args[@]}" "$BASE$p")
	J=$(cat "$T/ctl.json")
}
# leg LABEL FIELD: from the call JSON in $J.
leg() { jq -r --arg l "$1" --arg f "$2" '.legs[] | select(.label == $l) | .[$f] | tostring' <<<"$J"; }
# events CALLSID: the timeline into $EV.
events() {
	curl -s --max-time 10 -o "$T/ev.json" "$BASE/emulator/calls/$1/events"
	EV=$(cat "$T/ev.json")
}
# call_of LEGSID: the parent CallSid of the call holding a leg.
call_of() { curl -s --max-time 10 "$BASE/emulator/calls/$1" | jq -r .sid; }
# wait_leg SID LABEL STATUS [SECONDS]: until the leg has that status (bounded); 0 or 1.
wait_leg() {
	local i
	for ((i = 0; i < ${4:-10} * 10; i++)); do
		ctl GET "/emulator/calls/$1"
		[ "$(leg "$2" status)" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# sipp_bg NAME SCENARIO PORT u1|t1 [ARGS...]: a SIPp party in $T/sipp-NAME, bounded (20 s of
# calls, 30 s in all); its messages in NAME.msg, its log lines in NAME.log. Sets PID_NAME.
sipp_bg() {
	local name=$1 sc=$2 port=$3 tp=$4 d="$T/sipp-$1"
	shift 4
	mkdir -p "$d"
	(cd "$d" && timeout 30 sipp -sf "$SIPP_DIR/$sc" -i 127.0.0.1 -p "$port" -bind_local -t "$tp" \
		-m 1 -timeout 20s -timeout_error -recv_timeout 15000 -nostdin \
		-trace_msg -message_file "$name.msg" -trace_logs -log_file "$name.log" \
		-trace_err -error_file "$name.err" "$@" >"$name.out" 2>&1
	echo $? >"$name.rc") &
	eval "PID_$name=$!"
	CLEANUP+=("kill $! 2>/dev/null")
}
# sipp_listen PORT u1|t1: until SIPp (a UAS) listens there, at most 15 s (SIPp starts slowly
# on a loaded machine); says so on stderr when it never does.
sipp_listen() {
	local i
	for ((i = 0; i < 300; i++)); do
		if [ "$2" = t1 ]; then
			ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		else
			ss -Huan "sport = :$1" 2>/dev/null | grep -q . && return 0
		fi
		sleep 0.05
	done
	echo "sipp_listen: nothing listens on $2 port $1 after 15 s" >&2
	return 1
}
# sipp_done NAME: waits for it (in this shell: it is this shell's child); R is "rc=N" then
# its log lines (| between).
sipp_done() {
	local pid
	eval "pid=\$PID_$1"
	wait "$pid" 2>/dev/null
	R="rc=$(cat "$T/sipp-$1/$1.rc" 2>/dev/null || echo none) $(sipp_log "$1")"
}
sipp_log() { [ -f "$T/sipp-$1/$1.log" ] && sed -e 's/[[:space:]]*$//' "$T/sipp-$1/$1.log" | paste -sd'|'; }
# sipp_why NAME: what to show when a party failed.
sipp_why() {
	tail -5 "$T/sipp-$1/$1.err" "$T/sipp-$1/$1.out" 2>/dev/null
	grep -E 'received|sent' "$T/sipp-$1/$1.msg" 2>/dev/null | tail -20
}
# sanitizer_clean: no ASan/UBSan report in the emulator's stderr.
sanitizer_clean() {
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/emu.err"; then
		not_ok "a sanitizer report" "$(grep -A20 -E 'ERROR:|runtime error' "$T/emu.err" | head -40)"
	else
		ok
	fi
}
