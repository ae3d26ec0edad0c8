# install.sh: make install into a temporary prefix (and a DESTDIR), the installed binary
# runs, the manual page renders, the systemd unit verifies, make uninstall removes it all.
. "$(dirname "$0")/lib.sh"

mk() { make -s -C "$ROOT" "$@" >"$T/make.log" 2>&1; }

# a prefix of our own: the unit's ExecStart is then a real path systemd can check
P=$T/prefix
if mk install PREFIX="$P/usr" SYSCONFDIR="$P/etc"; then ok; else not_ok "make install" "$(tail -5 "$T/make.log")"; fi
for f in usr/bin/handoff usr/share/man/man1/handoff.1 usr/lib/systemd/system/handoff-serve.service \
	etc/handoff/handoff.env.example usr/share/doc/handoff/destinations.md usr/share/doc/handoff/flows.md; do
	if [ -f "$P/$f" ]; then ok; else not_ok "installed $f"; fi
done
mode=$(stat -c %a "$P/usr/bin/handoff" 2>/dev/null)
expect_eq "the binary is 0755" "$mode" 755

check "the installed binary runs --version" "$P/usr/bin/handoff" --version
expect_match "it prints its version" "$(cat "$T/out")" '^handoff [0-9]+\.[0-9]+\.[0-9]+$'
check "the installed binary runs serve --help" "$P/usr/bin/handoff" serve --help
expect_match "serve --help names --listen" "$(cat "$T/out")" '--listen ADDR:PORT'
expect_match "serve --help names the environment defaults" "$(cat "$T/out")" 'HANDOFF_PUBLIC_URL'

# the manual page: made from the command table, renders without a roff warning
man1=$P/usr/share/man/man1/handoff.1
if command -v groff >/dev/null; then
	groff -man -Tutf8 -ww -z "$man1" 2>"$T/groff.err"
	expect_eq "groff reads handoff.1 without a warning" "$(cat "$T/groff.err")" ""
else
	skip "groff is not installed"
fi
if command -v man >/dev/null; then
	MANWIDTH=100 man -l "$man1" >"$T/man.txt" 2>"$T/man.err"
	expect_eq "man -l renders it" "$?" 0
	page=$(cat "$T/man.txt")
	for s in NAME SYNOPSIS COMMANDS 'DESTINATION VARIABLES' ENVIRONMENT FILES 'EXIT STATUS'; do
		expect_match "the page has $s" "$page" "^$s"
	done
	# every leaf of the command table is a section of its own, with its usage
	for leaf in "twiml lint" "dest add" "dest test" "promote" "serve" "emulator" "simulate" \
		"twilio numbers wire" "twilio trunks set" "man"; do
		expect_match "the page documents handoff $leaf" "$page" "^   handoff $leaf\$"
	done
	expect_match "its usage lines keep their hyphens" "$page" 'handoff serve \[--listen ADDR:PORT\]'
	expect_match "the variables come from the table" "$page" '\$caller_id'
else
	skip "man is not installed"
fi

# the unit: hardened, the token only in the EnvironmentFile
unit=$P/usr/lib/systemd/system/handoff-serve.service
u=$(cat "$unit")
expect_match "ExecStart is the installed binary" "$u" "^ExecStart=$P/usr/bin/handoff serve\$"
expect_match "EnvironmentFile is under SYSCONFDIR" "$u" "^EnvironmentFile=-$P/etc/handoff/handoff.env\$"
for k in 'DynamicUser=yes' 'ProtectSystem=strict' 'StateDirectory=handoff' 'NoNewPrivileges=yes' \
	'CapabilityBoundingSet=$' 'PrivateTmp=yes'; do
	expect_match "the unit sets $k" "$u" "^$k"
done
expect_no_match "no token on the command line" "$(grep '^ExecStart' "$unit")" 'TOKEN'
expect_no_match "no @PLACEHOLDER@ left" "$u" '@[A-Z]+@'
expect_match "the example environment names the token" "$(cat "$P/etc/handoff/handoff.env.example")" '^TWILIO_AUTH_TOKEN='
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no "$unit" >"$T/verify.out" 2>&1
	rc=$?
	expect_eq "systemd-analyze verify accepts the unit" "$rc $(cat "$T/verify.out")" "0 "
else
	skip "systemd-analyze is not installed"
fi

if mk uninstall PREFIX="$P/usr" SYSCONFDIR="$P/etc"; then ok; else not_ok "make uninstall" "$(tail -5 "$T/make.log")"; fi
expect_eq "uninstall leaves no file" "$(find "$P" -type f | sort)" ""

# DESTDIR: the files land under it, with the prefix's paths inside the unit
D=$T/destdir
if mk install DESTDIR="$D"; then ok; else not_ok "make install DESTDIR" "$(tail -5 "$T/make.log")"; fi
expect_match "DESTDIR install of the default prefix" "$(cd "$D" && find . -type f | sort)" './usr/local/bin/handoff'
expect_match "the unit names the final path" "$(cat "$D/usr/local/lib/systemd/system/handoff-serve.service")" '^ExecStart=/usr/local/bin/handoff serve$'
if mk uninstall DESTDIR="$D"; then ok; else not_ok "make uninstall DESTDIR" "$(tail -5 "$T/make.log")"; fi
expect_eq "DESTDIR uninstall leaves no file" "$(find "$D" -type f | sort)" ""

finish
