# twiml_lint.sh: 'handoff twiml lint|fmt' over the fixture corpus: every expected code,
# clean valid files, fmt idempotence, --json shape, exit codes, hostile inputs.
. "$(dirname "$0")/lib.sh"

VALID="$ROOT/fixtures/twiml/valid"
INVALID="$ROOT/fixtures/twiml/invalid"

# codes_of FILE: the codes lint reports for FILE, sorted, unique, space-separated
codes_of() {
	"$HANDOFF" twiml lint "$1" 2>/dev/null | grep -oE ': (error|warning) [0-9]+:' |
		grep -oE '[0-9]+' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# --- valid corpus: clean, strict, and fmt is a fixed point ---
nvalid=0
for f in "$VALID"/*.xml; do
	n=$(basename "$f")
	nvalid=$((nvalid + 1))
	expect_exit "valid $n lints clean with --strict" 0 "$HANDOFF" twiml lint --strict "$f"
	expect_eq "valid $n: no findings" "$(cat "$T/out")" ""
	if "$HANDOFF" twiml fmt "$f" >"$T/fmt1" 2>"$T/err"; then
		"$HANDOFF" twiml fmt "$T/fmt1" >"$T/fmt2" 2>>"$T/err"
		if cmp -s "$T/fmt1" "$T/fmt2"; then ok; else not_ok "fmt of fmt is identical: $n" "$(diff "$T/fmt1" "$T/fmt2" | head -5)"; fi
		expect_exit "fmt output of $n lints clean" 0 "$HANDOFF" twiml lint --strict "$T/fmt1"
		expect_eq "fmt starts with the XML declaration: $n" "$(head -1 "$T/fmt1")" '<?xml version="1.0" encoding="UTF-8"?>'
	else
		not_ok "fmt $n" "$(head -3 "$T/err")"
	fi
done
[ "$nvalid" -ge 30 ] && ok || not_ok "at least 30 valid fixtures" "found $nvalid"

# --- invalid corpus: each file names the codes it must produce ---
ninvalid=0
for f in "$INVALID"/*.xml; do
	n=$(basename "$f")
	want=$(head -c 300 "$f" | grep -aoE 'expect: [0-9 ,]+' | head -1 | grep -oE '[0-9]+' | sort -u | tr '\n' ' ' | sed 's/ $//')
	if [ -z "$want" ]; then
		not_ok "invalid $n names its expected codes (<!-- expect: CODE -->)"
		continue
	fi
	ninvalid=$((ninvalid + 1))
	expect_eq "invalid $n reports exactly: $want" "$(codes_of "$f")" "$want"
	# exit status follows the level: errors (11750, 12100, 12102) exit 1; warnings need --strict
	"$HANDOFF" twiml lint "$f" >"$T/out" 2>&1
	rc=$?
	if grep -qE ': error [0-9]+:' "$T/out"; then
		expect_eq "invalid $n (error) exits 1" "$rc" 1
	else
		expect_eq "invalid $n (warnings only) exits 0" "$rc" 0
		expect_exit "invalid $n exits 1 with --strict" 1 "$HANDOFF" twiml lint --strict "$f"
	fi
	expect_match "invalid $n: FILE:LINE:COL: level CODE: message" "$(head -1 "$T/out")" \
		"^$f:[0-9]+:[0-9]+: (error|warning) [0-9]{5}: .+"
done
[ "$ninvalid" -ge 30 ] && ok || not_ok "at least 30 invalid fixtures" "found $ninvalid"

# --- positions and hints on one known file ---
out=$("$HANDOFF" twiml lint "$INVALID/wrong_case_verb.xml")
expect_match "wrong case points at the element" "$out" 'wrong_case_verb.xml:2:11: warning 12200: .*did you mean <Dial>\?'
out=$("$HANDOFF" twiml lint "$INVALID/dial_timeout_low.xml")
expect_match "bad value points at the attribute" "$out" 'dial_timeout_low.xml:2:17: warning 13212: .*timeout="3".*5 to 600'

# --- stdin, several files, exit codes ---
expect_exit "stdin clean" 0 sh -c "\"$HANDOFF\" twiml lint - < \"$VALID/say.xml\""
printf '<Response><Say>hi</Response>' >"$T/bad.xml"
expect_exit "stdin broken" 1 sh -c "\"$HANDOFF\" twiml lint - < \"$T/bad.xml\""
expect_match "stdin is named <stdin>" "$(cat "$T/out")" '^<stdin>:1:[0-9]+: error 12100: '
expect_exit "many files: one error fails all" 1 "$HANDOFF" twiml lint "$VALID/say.xml" "$T/bad.xml"
expect_exit "no file is a usage error" 2 "$HANDOFF" twiml lint
expect_exit "unknown flag is a usage error" 2 "$HANDOFF" twiml lint --frobnicate "$VALID/say.xml"
expect_match "usage error names the flag" "$(cat "$T/err")" "^handoff: twiml lint: unknown option '--frobnicate'"
expect_exit "missing file fails" 1 "$HANDOFF" twiml lint "$T/nope.xml"
expect_match "missing file: one line" "$(cat "$T/err")" "^handoff: twiml lint: $T/nope.xml: No such file"
expect_exit "lint --help" 0 "$HANDOFF" twiml lint --help
expect_match "lint --help shows the format" "$(cat "$T/out")" 'FILE:LINE:COL: error\|warning CODE: message'
expect_exit "fmt --help" 0 "$HANDOFF" twiml fmt --help
expect_exit "fmt of a broken file fails" 1 "$HANDOFF" twiml fmt "$T/bad.xml"
expect_match "fmt prints the finding on stderr" "$(cat "$T/err")" 'error 12100: '
expect_eq "fmt prints nothing on stdout when it fails" "$(cat "$T/out")" ""
expect_exit "fmt needs one file" 2 "$HANDOFF" twiml fmt

# --- fmt: canonical order, escaping, indentation ---
cat >"$T/messy.xml" <<'X'
<Response><Dial referUrl="/r?a=1&amp;b=2" x-extra="1"   answerOnBridge="true" timeout="20"><Sip>
sip:a@b?X-A=1&amp;X-B=2</Sip></Dial><Say>1 &lt; 2 &amp; "q"</Say></Response>
X
"$HANDOFF" twiml fmt "$T/messy.xml" >"$T/fmt" 2>"$T/err"
expect_eq "fmt canonical form" "$(cat "$T/fmt")" '<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Dial timeout="20" answerOnBridge="true" referUrl="/r?a=1&amp;b=2" x-extra="1">
    <Sip>
sip:a@b?X-A=1&amp;X-B=2</Sip>
  </Dial>
  <Say>1 &lt; 2 &amp; "q"</Say>
</Response>'

# --- --json ---
"$HANDOFF" twiml lint --json "$VALID/say.xml" "$INVALID/dial_timeout_low.xml" "$INVALID/not_well_formed.xml" >"$T/json"
expect_eq "--json exits 1 when a file has an error" "$?" 1
shape=$(python3 - "$T/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fs = d["files"]
print(len(fs), d["errors"], d["warnings"], d["ok"], fs[0]["ok"], len(fs[0]["findings"]),
      fs[1]["findings"][0]["code"], fs[1]["findings"][0]["level"], fs[1]["findings"][0]["line"],
      fs[1]["findings"][0]["col"], fs[2]["findings"][0]["code"], fs[2]["findings"][0]["level"],
      sorted(fs[1]["findings"][0].keys()) == ["code", "col", "level", "line", "message"])
PY
)
expect_eq "--json shape" "$shape" "3 1 1 False True 0 13212 warning 2 17 12100 error True"
"$HANDOFF" twiml lint --json --strict "$VALID/say.xml" >"$T/json"
expect_eq "--json clean exits 0" "$?" 0
expect_eq "--json clean ok" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["files"][0]["findings"])' "$T/json")" "True []"
"$HANDOFF" twiml lint --json "$T/nope.xml" >"$T/json" 2>/dev/null
expect_eq "--json unreadable file" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], "error" in d["files"][0])' "$T/json")" "False True"

# --- hostile inputs: clear finding, no crash, bounded time and memory ---
# run_bounded DESC WANT-CODE FILE: lint with a 10 s limit, measuring peak memory
# (no ulimit -v: AddressSanitizer reserves terabytes of address space); exit 1, WANT-CODE
run_bounded() {
	local d=$1 want=$2 f=$3 mode=${4:-file} rc rss
	python3 - "$HANDOFF" "$f" "$T/out" "$T/rss" "$mode" <<'PY'
import resource, subprocess, sys
stdin = sys.argv[5] == "stdin"
with open(sys.argv[3], "wb") as out, open(sys.argv[2], "rb") as inp:
    try:
        rc = subprocess.run([sys.argv[1], "twiml", "lint", "-" if stdin else sys.argv[2]],
                            stdout=out, stderr=subprocess.DEVNULL,
                            stdin=inp if stdin else subprocess.DEVNULL, timeout=10).returncode
    except subprocess.TimeoutExpired:
        rc = 124
open(sys.argv[4], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
PY
	rc=$?
	rss=$(cat "$T/rss")
	expect_eq "$d: exit 1 (not a crash or timeout)" "$rc" 1
	expect_match "$d: reports $want" "$(cat "$T/out")" ": error $want: "
	[ "$rss" -lt 262144 ] && ok || not_ok "$d: peak memory under 256 MB (sanitized build)" "${rss} kB"
}
: >"$T/empty.xml"
run_bounded "empty file" 12100 "$T/empty.xml"
expect_match "empty file says so" "$(cat "$T/out")" 'empty document'
head -c 10485760 /dev/zero | tr '\0' 'a' >"$T/big.xml"
run_bounded "10 MB file" 11750 "$T/big.xml"
expect_match "10 MB: names the size" "$(cat "$T/out")" '10485760 bytes'
run_bounded "10 MB on stdin" 11750 "$T/big.xml" stdin
expect_match "10 MB on stdin: its size" "$(cat "$T/out")" '^<stdin>:1:1: error 11750: document is 10485760 bytes'
expect_exit "10 MB through a pipe" 1 timeout 10 sh -c "cat \"$T/big.xml\" | \"$HANDOFF\" twiml lint -"
expect_match "10 MB through a pipe: over 64 kB" "$(cat "$T/out")" '^<stdin>:1:1: error 11750: document is over 65536 bytes' 
python3 -c 'import sys; sys.stdout.write("<Response>" + "<a>" * 100000)' >"$T/deep.xml"
run_bounded "100000 levels (over 64 kB)" 11750 "$T/deep.xml"
python3 -c 'import sys; sys.stdout.write("<Response>" + "<a>" * 20000)' >"$T/deep2.xml"
run_bounded "20000 levels" 12100 "$T/deep2.xml"
expect_match "deep nesting names the limit" "$(cat "$T/out")" 'nested deeper than 64'
python3 - >"$T/lol.xml" <<'PY'
print('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">')
prev = "lol"
for i in range(1, 10):
    print(f' <!ENTITY lol{i} "' + f"&{prev};" * 10 + '">')
    prev = f"lol{i}"
print(']>\n<Response><Say>&lol9;</Say></Response>')
PY
run_bounded "billion laughs" 12100 "$T/lol.xml"
expect_match "billion laughs: DOCTYPE refused" "$(cat "$T/out")" 'lol.xml:2:1: error 12100: a DOCTYPE is not allowed'
printf '<Response>\n<Say>caf\xe9</Say></Response>' >"$T/latin1.xml"
run_bounded "invalid UTF-8" 12100 "$T/latin1.xml"
expect_match "invalid UTF-8 has its position" "$(cat "$T/out")" 'latin1.xml:2:9: error 12100: invalid UTF-8'

finish
