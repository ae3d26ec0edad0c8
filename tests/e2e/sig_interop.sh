# sig_interop: `handoff sig` against the official twilio package, both ways,
# over random URLs and parameters (tests/interop/sig_interop.js).
. "$(dirname "$0")/lib.sh"

need_interop "sig interop"
# the sanitizers' leak check costs little; their startup is what a case pays
out=$(cd "$ROOT/tests/interop" && timeout 120 node sig_interop.js "$HANDOFF" "${SIG_CASES:-60}" "${SIG_SEED:-$RANDOM}")
rc=$?
printf '%s\n' "$out" | grep -v '^[0-9]* passed' | head -40
line=$(printf '%s\n' "$out" | tail -1)
p=${line%% passed*}
f=${line#*passed, }
f=${f%% failed*}
case "$p$f" in *[!0-9]*|'') not_ok "the interop script did not finish (exit $rc)" ;; *) PASS=$((PASS + p)); FAIL=$((FAIL + f)) ;; esac
finish
