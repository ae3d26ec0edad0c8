# emulator.sh: starts 'handoff emulator' on a free loopback port for the twilio_* scripts.
# Source after lib.sh. Sets AC, TOK, EMU_PORT, EMU_PID, BASE; exports TWILIO_API_BASE.
AC=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
TOK=tok$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
export XDG_CONFIG_HOME="$T/config"
unset TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY TWILIO_API_SECRET TWILIO_API_BASE
# short waits so the retry tests stay fast
export HANDOFF_TWILIO_BACKOFF_MS=50

# start_emulator [ARGS...]: token from the environment, never argv.
start_emulator() {
	EMU_PORT=$(free_port)
	HANDOFF_EMULATOR_AUTH_TOKEN=$TOK "$HANDOFF" emulator --listen "127.0.0.1:$EMU_PORT" \
		--account-sid "$AC" "$@" >"$T/emu.out" 2>"$T/emu.err" &
	EMU_PID=$!
	CLEANUP+=("kill $EMU_PID 2>/dev/null")
	BASE=http://127.0.0.1:$EMU_PORT
	export TWILIO_API_BASE=$BASE
	wait_http "$BASE/healthz" 20 || { echo "emulator did not start: $(cat "$T/emu.err")"; exit 1; }
}

# stop_emulator: SIGTERM; the exit status (ASan leak checks run at exit).
stop_emulator() {
	kill -TERM "$EMU_PID"
	wait "$EMU_PID"
}

# fault NAME=VALUE...: POST /emulator/faults.
fault() {
	local args=()
	for a in "$@"; do args+=(-d "$a"); done
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${args[@]}" "$BASE/emulator/faults"
}

# api METHOD PATH [NAME=VALUE...]: the REST twin with the account's credentials.
api() {
	local m=$1 p=$2
	shift 2
	local args=()
	for a in "$@"; do args+=(--data-urlencode "$a"); done
	if [ "$m" = GET ]; then
		curl -s --max-time 10 -u "$AC:$TOK" -G "${args[@]}" "$BASE$p"
	else
		curl -s --max-time 10 -u "$AC:$TOK" -X "$m" "${args[@]}" "$BASE$p"
	fi
}

# keep every output for the final secret scan
log_outputs() { cat "$T/out" "$T/err" >>"$T/all-output.log" 2>/dev/null; }

# pn_of NUMBER: the PN sid of a seeded number
pn_of() {
	api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers.json" PhoneNumber="$1" |
		jq -r '.incoming_phone_numbers[0].sid'
}

# tw DESC EXIT ARGS...: 'handoff twilio ARGS' must exit EXIT; outputs kept for the scan.
tw() {
	local d=$1 want=$2
	shift 2
	expect_exit "$d" "$want" "$HANDOFF" twilio "$@"
	log_outputs
}

# no_secret_anywhere: the token appears in no output kept so far.
no_secret_anywhere() {
	cat "$T/emu.out" "$T/emu.err" >>"$T/all-output.log" 2>/dev/null
	if grep -qF -- "$TOK" "$T/all-output.log"; then
		not_ok "the auth token appears in an output" "$(grep -F -- "$TOK" "$T/all-output.log" | head -3)"
	else
		ok
	fi
}
