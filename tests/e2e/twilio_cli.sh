# twilio_cli.sh: the Twilio admin CLI against the emulator: login, profiles, paging, wire/restore, trunks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

start_emulator --seed-numbers 23
CREDS=$XDG_CONFIG_HOME/handoff/credentials

# --- login (stdin lines, never argv) ---
printf '%s\n%s\n' "$AC" "wrong-token-1234" >"$T/in"
tw "login with a wrong token fails" 1 login <"$T/in"
expect_match "wrong token: Twilio 20003 in one line" "$(cat "$T/err")" '^handoff: login default: Twilio 20003: .*errors/20003'
expect_eq "wrong token: nothing saved" "$(test -e "$CREDS" && echo saved || echo none)" none

printf '%s\n%s\n' "$AC" "$TOK" >"$T/in"
tw "login from stdin" 0 login <"$T/in"
expect_match "login shows the last four characters at most" "$(cat "$T/out")" "token \.\.\.${TOK: -4}\)"
expect_eq "credentials file is 0600" "$(stat -c %a "$CREDS")" 600
expect_eq "config dir is 0700" "$(stat -c %a "$(dirname "$CREDS")")" 700
expect_match "login takes no secrets on argv" "$("$HANDOFF" twilio login "$TOK" 2>&1 </dev/null)" 'takes no arguments'

# on a terminal: prompts, and the token is not echoed (a pty through script(1))
if command -v script >/dev/null; then
	(sleep 0.5; printf '%s\n' "$AC"; sleep 0.3; printf '\n'; sleep 0.3; printf '%s\n' "$TOK"; sleep 2) |
		timeout 20 script -qec "'$HANDOFF' twilio login --profile tty" /dev/null >"$T/tty.out" 2>&1
	expect_match "tty login prompts for the token" "$(cat "$T/tty.out")" 'Auth token: '
	expect_match "tty login succeeds" "$(cat "$T/tty.out")" "saved profile 'tty'"
	expect_no_match "tty login does not echo the token" "$(cat "$T/tty.out")" "$TOK"
	cat "$T/tty.out" >>"$T/all-output.log"
	tw "tty profile removed" 0 profiles rm tty
	tw "default active again" 0 profiles use default
else
	skip "script(1) not installed: no pty login test"
fi

unset TWILIO_API_BASE # from here the profile carries the base
tw "profiles list" 0 profiles
expect_match "profiles marks the active one" "$(cat "$T/out")" "^\* default +$AC"
tw "profiles list --json" 0 profiles --json
expect_eq "profiles --json has no secret" "$(jq -r '.[0] | has("secret")' "$T/out")" false

# an API key profile (3 lines: account, key, secret) against an emulator that accepts it
stop_emulator
SK=SK$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
KEYSEC=keysecret$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
HANDOFF_EMULATOR_API_SECRET=$KEYSEC start_emulator --seed-numbers 23 --api-key "$SK"
printf '%s\n%s\n%s\n' "$AC" "$SK" "$KEYSEC" >"$T/in"
tw "login with an API key" 0 login --profile keyed <"$T/in"
tw "profiles use default" 0 profiles use default
# the restarted emulator listens elsewhere: re-login the default profile there
printf '%s\n%s\n' "$AC" "$TOK" >"$T/in"
tw "re-login" 0 login <"$T/in"
unset TWILIO_API_BASE
tw "list with the key profile" 0 numbers list --profile keyed
tw "profiles rm keyed" 0 profiles rm keyed
tw "rm of a missing profile fails" 1 profiles rm keyed

# --- a world-readable credentials file is refused, with the fix ---
chmod 644 "$CREDS"
tw "group/other-readable credentials are refused" 1 numbers list
expect_match "refusal names the fix" "$(cat "$T/err")" "hint: run: chmod 600 $CREDS"
chmod 600 "$CREDS"

# --- list follows every page ---
tw "numbers list, 5 per page" 0 numbers list --page-size 5 --json
expect_eq "all 23 numbers across 5 pages" "$(jq length "$T/out")" 23
expect_eq "no duplicates across pages" "$(jq -r '.[].phone_number' "$T/out" | sort -u | wc -l)" 23
tw "numbers list (table)" 0 numbers list --page-size 7
expect_match "table counts them" "$(cat "$T/out")" '^23 numbers$'

# --- show ---
PN1=$(pn_of +14155550101)
tw "show by E.164" 0 numbers show +14155550101 --json
expect_eq "show resolves the SID" "$(jq -r .sid "$T/out")" "$PN1"
tw "show by PN SID" 0 numbers show "$PN1"
expect_match "show prints the number" "$(cat "$T/out")" 'Number +\+14155550101'
tw "show an unknown number" 1 numbers show +14155559999
expect_match "unknown number says so" "$(cat "$T/err")" '^handoff: numbers show \+14155559999: no such number'
tw "show an unknown PN" 1 numbers show PN00000000000000000000000000000000
expect_match "unknown PN is 20404" "$(cat "$T/err")" '20404'

# --- wire: diff, dry run, refusals, restore ---
tw "wire --dry-run" 0 numbers wire +14155550101 --voice-url https://agent.example.com/voice --method GET --dry-run
expect_match "dry run prints the diff (after)" "$(cat "$T/out")" '^\+ voice_url: https://agent.example.com/voice$'
expect_match "dry run prints the diff (before)" "$(cat "$T/out")" '^- voice_method: POST$'
expect_no_match "diff has only the fields that change" "$(cat "$T/out")" 'trunk_sid|voice_application_sid'
expect_eq "dry run changed nothing" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN1.json" | jq -r .voice_url)" null
tw "nothing to restore after a dry run" 1 numbers restore +14155550101

tw "wire" 0 numbers wire +14155550101 --voice-url https://agent.example.com/voice --method GET
expect_eq "wire set the URL" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN1.json" | jq -r '.voice_url + " " + .voice_method')" "https://agent.example.com/voice GET"
expect_eq "wire record is 0600" "$(stat -c %a "$XDG_CONFIG_HOME/handoff/wired.json")" 600
tw "wire again, same URL: nothing to change" 0 numbers wire +14155550101 --voice-url https://agent.example.com/voice
expect_match "same URL says so" "$(cat "$T/out")" 'nothing to change'
tw "wire a different URL is refused" 1 numbers wire +14155550101 --voice-url https://other.example.com/voice
expect_match "refusal says what it would replace" "$(cat "$T/err")" 'refusing: it already has a different Voice URL: https://agent.example.com/voice'
expect_eq "refusal changed nothing" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN1.json" | jq -r .voice_url)" https://agent.example.com/voice
tw "restore" 0 numbers restore +14155550101
expect_match "restore says what it restores" "$(cat "$T/out")" '^\+ voice_method: POST$'
expect_eq "restore put it back" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN1.json" | jq -r '(.voice_url // "") + "|" + .voice_method')" "|POST"

# shadowing: an application, then a trunk
PN2=$(pn_of +14155550102)
api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN2.json" VoiceApplicationSid=AP0123456789abcdef0123456789abcdef >/dev/null
tw "wire under an application is refused" 1 numbers wire "$PN2" --voice-url https://agent.example.com/voice
expect_match "says the application shadows" "$(cat "$T/err")" 'VoiceApplicationSid AP0123456789abcdef0123456789abcdef would shadow the Voice URL'
TK=$(api POST /v1/Trunks FriendlyName=pbx | jq -r .sid)
PN3=$(pn_of +14155550103)
api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN3.json" TrunkSid="$TK" VoiceUrl=https://old.example.com/v >/dev/null
tw "wire under a trunk is refused" 1 numbers wire +14155550103 --voice-url https://agent.example.com/voice
expect_match "says the trunk shadows" "$(cat "$T/err")" "TrunkSid $TK would shadow the Voice URL"
expect_match "and the different URL" "$(cat "$T/err")" 'different Voice URL: https://old.example.com/v'
tw "wire --force under a trunk" 0 numbers wire +14155550103 --voice-url https://agent.example.com/voice --force
expect_match "force clears the trunk in the diff" "$(cat "$T/out")" "^- trunk_sid: $TK$"
expect_eq "trunk cleared, URL set" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN3.json" | jq -r '(.trunk_sid // "") + "|" + .voice_url')" "|https://agent.example.com/voice"
# someone changes it after the wire: restore refuses, --force restores
api POST "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN3.json" VoiceUrl=https://third.example.com/v >/dev/null
tw "restore after a change is refused" 1 numbers restore +14155550103
expect_match "refusal says what changed" "$(cat "$T/err")" "changed since the wire: voice_url is now 'https://third.example.com/v'"
tw "restore --force" 0 numbers restore +14155550103 --force
expect_eq "trunk and URL restored" "$(api GET "/2010-04-01/Accounts/$AC/IncomingPhoneNumbers/$PN3.json" | jq -r '.trunk_sid + "|" + .voice_url')" "$TK|https://old.example.com/v"

# Twilio's own validation comes back as one line
tw "wire --json" 0 numbers wire +14155550104 --voice-url https://a.example.com/x --fallback-url https://b.example.com/y --json
expect_eq "--json lists the changes" "$(jq -r '[.changes[].field] | sort | join(",")' "$T/out")" "voice_fallback_url,voice_url"

# --- trunks ---
TK2=$(api POST /v1/Trunks FriendlyName=second | jq -r .sid)
api POST /v1/Trunks FriendlyName=third >/dev/null
tw "trunks list, 2 per page" 0 trunks list --page-size 2 --json
expect_eq "all 3 trunks across pages" "$(jq length "$T/out")" 3
tw "trunks set" 0 trunks set "$TK2" --transfer-mode sip-only --transfer-caller-id from-transferor
expect_match "trunks set shows before" "$(cat "$T/out")" '^- transfer_mode: disable-all$'
expect_match "trunks set shows after" "$(cat "$T/out")" '^\+ transfer_caller_id: from-transferor$'
expect_eq "trunk updated" "$(api GET "/v1/Trunks/$TK2" | jq -r '.transfer_mode + " " + .transfer_caller_id')" "sip-only from-transferor"
tw "trunks set, same values" 0 trunks set "$TK2" --transfer-mode sip-only
expect_match "same values: nothing to change" "$(cat "$T/out")" 'nothing to change'
tw "trunks set an unknown trunk" 1 trunks set TK00000000000000000000000000000000 --transfer-mode enable-all
expect_match "unknown trunk is 20404" "$(cat "$T/err")" 'Twilio 20404'

# --- arguments are checked before any request: a pending fault stays pending ---
expect_eq "fault armed" "$(fault Status=500 Count=1)" 200
tw "wire: bad number" 2 numbers wire 4155550100 --voice-url https://a.example.com/
tw "wire: not http" 2 numbers wire +14155550100 --voice-url ftp://a.example.com/
tw "wire: bad method" 2 numbers wire +14155550100 --voice-url https://a.example.com/ --method PUT
tw "wire: no URL" 2 numbers wire +14155550100
tw "wire: bad fallback" 2 numbers wire +14155550100 --voice-url https://a.example.com/ --fallback-url 'https://a b/'
tw "trunks set: bad SID" 2 trunks set TKxyz --transfer-mode sip-only
tw "trunks set: bad mode" 2 trunks set "$TK2" --transfer-mode sometimes
tw "trunks set: bad caller id" 2 trunks set "$TK2" --transfer-caller-id me
tw "trunks set: nothing to set" 2 trunks set "$TK2"
tw "show: bad number" 2 numbers show 12
HANDOFF_TWILIO_RETRIES=0 tw "the fault was still pending (no request was made)" 1 numbers list
expect_match "the pending fault answered" "$(cat "$T/err")" 'Twilio 20500'

# --- real Twilio (no --api-base): refuse URLs Twilio cannot reach, before any request ---
export TWILIO_ACCOUNT_SID=$AC TWILIO_AUTH_TOKEN=$TOK
for case in "http://127.0.0.1:8080/voice|loopback" "https://10.1.2.3/voice|private" \
	"http://169.254.169.254/voice|link-local" "http://[::1]:8080/voice|loopback" \
	"https://localhost/voice|names this machine" "https://nowhere.invalid/voice|does not resolve"; do
	url=${case%%|*} why=${case#*|}
	expect_exit "real Twilio: refuse $url" 1 env -u TWILIO_API_BASE XDG_CONFIG_HOME="$T/empty" \
		"$HANDOFF" twilio numbers wire +14155550100 --voice-url "$url" --timeout 2
	expect_match "real Twilio: $url is $why" "$(cat "$T/err")" "refusing to point a Twilio number at .*$why.*Twilio cannot reach"
	log_outputs
done
unset TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN

# --- no secret on argv or in any output ---
fault StallMs=1500 Count=1 >/dev/null
"$HANDOFF" twilio numbers list >"$T/out" 2>"$T/err" &
CLI_PID=$!
sleep 0.5
expect_no_match "the running CLI's argv has no token" "$(tr '\0' ' ' </proc/$CLI_PID/cmdline)" "$TOK"
expect_no_match "the emulator's argv has no token" "$(tr '\0' ' ' </proc/$EMU_PID/cmdline)" "$TOK"
wait $CLI_PID
expect_eq "the stalled list still succeeds" "$?" 0
log_outputs
no_secret_anywhere

stop_emulator
expect_eq "emulator exits 0 on SIGTERM (no leaks)" "$?" 0
finish
