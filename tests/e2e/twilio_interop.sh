# twilio_interop.sh: the official twilio npm package's REST client lists and updates numbers on the emulator.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/emulator.sh"

need_interop "twilio interop"

start_emulator --seed-numbers 5
(cd "$ROOT/tests/interop" && HANDOFF_INTEROP_TOKEN=$TOK timeout 60 node twilio_rest.js "$BASE" "$AC") >"$T/out" 2>"$T/err"
expect_eq "the twilio package ran" "$?" 0
J=$(cat "$T/out")
expect_eq "list follows every page (pageSize 2)" "$(jq .count <<<"$J")" 5
expect_eq "numbers in order" "$(jq -r '.numbers | join(",")' <<<"$J")" "+14155550100,+14155550101,+14155550102,+14155550103,+14155550104"
expect_eq "update answers the new fields" "$(jq -r '.updated.voiceUrl + " " + .updated.voiceMethod' <<<"$J")" "https://interop.example.com/voice GET"
expect_eq "fetch sees the update" "$(jq -r .fetched.voiceUrl <<<"$J")" "https://interop.example.com/voice"
expect_eq "the package parses our RFC 2822 dates" "$(jq -r .fetched.dateUpdated <<<"$J")" true
expect_eq "PhoneNumber filter" "$(jq -r '.filtered | join(",")' <<<"$J")" "+14155550101"
expect_eq "a bad VoiceUrl is RestException 21402/400" "$(jq -c .badUrl <<<"$J")" '{"code":21402,"status":400}'
expect_eq "trunk transfer settings" "$(jq -r '.trunk.transferMode + " " + .trunk.transferCallerId' <<<"$J")" "sip-only from-transferor"
expect_eq "the package parses our ISO 8601 dates" "$(jq -r .trunk.dateCreated <<<"$J")" true
expect_eq "v1 list follows meta.next_page_url" "$(jq .trunks <<<"$J")" 2
expect_eq "wrong token is RestException 20003/401" "$(jq -c .badAuth <<<"$J")" '{"code":20003,"status":401}'
# and our own CLI agrees with what the package changed
export TWILIO_ACCOUNT_SID=$AC TWILIO_AUTH_TOKEN=$TOK
tw "the CLI sees the package's update" 0 numbers show +14155550100 --json
expect_eq "CLI and package agree" "$(jq -r .voice_url "$T/out")" "https://interop.example.com/voice"
stop_emulator
expect_eq "emulator exits 0" "$?" 0
finish
