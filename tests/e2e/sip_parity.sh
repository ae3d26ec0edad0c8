# sip_parity.sh: every flow of fixtures/flows whose REFERs can run over SIP runs twice,
# through the JSON endpoint's path and over real SIP (a SIPp agent or PBX sends the flow's
# REFERs, the emulator's SIP front door answers), and the two must agree: the REFERs' SIP
# answers, their NOTIFY sipfrags in order, the BYEs, the legs' states (tests/sip/parity.c).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.bash"
PARITY=${PARITY:-$(dirname "$HANDOFF")/sip-parity}
[ -x "$PARITY" ] || { not_ok "no parity harness at $PARITY (make build/check/sip-parity)"; finish; exit 1; }
TMPDIR=$T timeout 900 "$PARITY" "$ROOT"/fixtures/flows/*.json >"$T/parity.out" 2>"$T/parity.err"
rc=$?
grep -E '^(FAIL|  |      )' "$T/parity.out" | head -80
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$T/parity.out")
compared=$(sed -n 's/^\([0-9]*\) flows compared over SIP.*/\1/p' "$T/parity.out")
expect_eq "every flow compared over SIP agreed with the JSON path" "$rc ${line#* passed, }" "0 0 failed"
expect_match "most flows can run over SIP ($compared of $(ls "$ROOT"/fixtures/flows/*.json | wc -l))" "${compared:-0}" '^([6-9][0-9]|1[0-9]{2})$'
expect_eq "the skipped ones say why: chained transfers, no REFER, an agent that is not <Sip>" \
	"$(sed -n 's/^skip  [^:]*: //p' "$T/parity.out" | sort -u | paste -sd'|')" \
	"a REFER from a leg the flow's own answer dials (a chained transfer)|no REFER step|the agent is no <Sip> (a number or a client)"
expect_eq "no sanitizer report from the harness" "$(grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/parity.err")" 0
finish
