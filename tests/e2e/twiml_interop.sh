# twiml_interop.sh: TwiML built by the official twilio npm package (VoiceResponse: every verb
# and noun it can build, with attributes) is linted by 'handoff twiml lint' with no finding.
. "$(dirname "$0")/lib.sh"

need_interop "twiml interop"

n=$(cd "$ROOT/tests/interop" && node twiml_all.js "$T/docs" 2>"$T/err")
if [ -z "$n" ] || [ "$n" -lt 30 ]; then
	not_ok "node built the documents" "$n" "$(head -5 "$T/err")"
	finish
	exit 1
fi
ok

# every element name the library can build appears in what it built
names=$(cat "$T/docs"/*.xml | grep -oE '<[A-Za-z][A-Za-z:-]*' | tr -d '<' | sort -u | tr '\n' ' ')
for want in Response Say break emphasis lang p phoneme prosody s say-as sub w Play Pause Gather \
	Record Dial Number Sip Uri Headers Header Client Identity Parameter Conference Queue Sim \
	Application ApplicationSid WhatsApp Hangup Reject Redirect Enqueue Task Leave Refer Connect \
	Room Stream VirtualAgent Config Conversation ConversationRelay Language AiSession \
	ConversationRelaySession Autopilot Start Siprec Transcription Recording Stop Pay Prompt Echo Sms; do
	case " $names " in *" $want "*) ok ;; *) not_ok "the interop corpus builds <$want>" ;; esac
done

for f in "$T/docs"/*.xml; do
	b=$(basename "$f" .xml)
	[ "$b" = negative_control ] && continue
	expect_exit "twilio-built $b lints clean (--strict)" 0 "$HANDOFF" twiml lint --strict "$f"
	expect_eq "twilio-built $b: no findings" "$(cat "$T/out")" ""
	# fmt keeps the document: the formatted copy is clean and formats to itself
	"$HANDOFF" twiml fmt "$f" >"$T/f1" && "$HANDOFF" twiml fmt "$T/f1" >"$T/f2"
	if cmp -s "$T/f1" "$T/f2"; then ok; else not_ok "fmt idempotent on twilio-built $b"; fi
	expect_exit "fmt of twilio-built $b lints clean" 0 "$HANDOFF" twiml lint --strict "$T/f1"
done

# the same library, with values Twilio refuses: the linter is not silent
out=$("$HANDOFF" twiml lint "$T/docs/negative_control.xml")
codes=$(printf '%s\n' "$out" | grep -oE 'warning [0-9]+' | awk '{print $2}' | sort -u | tr '\n' ' ')
expect_eq "negative control codes" "$codes" "13212 13219 13223 13810 "

finish
