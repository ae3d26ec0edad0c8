# sip_nolibre.sh: without libre at build time the project still builds and works, and
# `emulator --sip` says it was built without SIP: a copy of the tree built with HAVE_LIBRE
# empty (as on a machine without libre-dev), its flows run, its emulator serves, --sip fails
# with a hint.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
mkdir -p "$T/src"
git ls-files -co --exclude-standard -z | grep -zv '^build/\|^bin/' | xargs -0 tar cf - | tar xf - -C "$T/src"
if ! make -C "$T/src" -j2 HAVE_LIBRE= OPT=-O0 bin/handoff >"$T/build.log" 2>&1; then
	not_ok "the build without libre failed" "$(tail -20 "$T/build.log")"
	finish
	exit 1
fi
ok
H="$T/src/bin/handoff"
expect_eq "no libre inside" "$(nm "$H" | grep -cE ' (sip_alloc|re_main|libre_init)$')" 0
expect_exit "emulator --sip: fails" 1 "$H" emulator --sip 127.0.0.1:0 --listen 127.0.0.1:0
expect_match "emulator --sip: says why" "$(cat "$T/err")" '^handoff: emulator: --sip: this handoff was built without SIP'
expect_match "emulator --sip: and what to do" "$(cat "$T/err")" '^hint: install libre-dev'
expect_match "the flows run as before" "$("$H" simulate "$ROOT"/fixtures/flows/*.json | tail -1)" '^[0-9]+ passed, 0 failed$'
port=$(free_port)
HANDOFF_EMULATOR_AUTH_TOKEN=token-$RANDOM$RANDOM "$H" emulator --listen "127.0.0.1:$port" >"$T/emu.out" 2>&1 &
pid=$!
CLEANUP+=("kill $pid 2>/dev/null")
wait_http "http://127.0.0.1:$port/healthz" 10
expect_eq "the emulator without --sip serves" "$(curl -s --max-time 5 "http://127.0.0.1:$port/healthz")" ok
kill -TERM "$pid"
wait "$pid"
expect_eq "and stops cleanly" "$?" 0
finish
