# cli.sh: the command table, --help, exit codes for usage errors.
. "$(dirname "$0")/lib.sh"

expect_exit "--help exits 0" 0 "$HANDOFF" --help
for c in twiml sig dest promote versions rollback export import serve emulator simulate twilio man; do
	expect_match "--help lists $c" "$(cat "$T/out")" "^  $c "
done
expect_exit "version" 0 "$HANDOFF" --version
expect_match "version prints a version" "$(cat "$T/out")" '^handoff [0-9]+\.[0-9]+\.[0-9]+$'
expect_exit "no command is a usage error" 2 "$HANDOFF"
expect_exit "unknown command is a usage error" 2 "$HANDOFF" frobnicate
expect_match "unknown command names itself" "$(cat "$T/err")" "^handoff: unknown command 'handoff frobnicate'"
expect_exit "unknown subcommand is a usage error" 2 "$HANDOFF" twiml frobnicate

finish
