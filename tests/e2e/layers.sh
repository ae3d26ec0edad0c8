# layers.sh: the house's rules, checked on the tree (docs/style.md, README "The house"):
# arrows point down, one foreign library per adapter file, no source file past 1000 lines.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

# includes_of DIR...: "file: included-path" for every #include "..." under the dirs
includes_of() { grep -rHo '^#include "[^"]*"' --include='*.c' --include='*.h' "$@" | sed 's/:#include "\(.*\)"$/: \1/'; }

# twiml/ and webhooks/: pure code over plain structs, using only src/util/ below them
bad=$(includes_of twiml webhooks | grep -Ev ': (twiml|webhooks|util)/')
expect_eq "twiml/ and webhooks/ include nothing under src/ but util/" "$bad" ""
bad=$(includes_of twiml | grep -E ': webhooks/')
expect_eq "twiml/ does not include webhooks/" "$bad" ""

# the adapters (store, net, twilio) never include the runtime above them
bad=$(includes_of src/store src/net src/twilio | grep -E ': (server|emulator|cli|console)/')
expect_eq "src/store, src/net, src/twilio include no server/, emulator/, console/ or cli/" "$bad" ""
bad=$(includes_of src/util | grep -Ev ': util/')
expect_eq "src/util includes only util/" "$bad" ""
# the server does not reach into the emulator or the CLI; the emulator not into the CLI
bad=$(includes_of src/server | grep -E ': (emulator|cli)/')
expect_eq "src/server includes no emulator/ or cli/" "$bad" ""
bad=$(includes_of src/emulator | grep -E ': (cli|server|console)/')
expect_eq "src/emulator includes no cli/, server/ or console/" "$bad" ""
# the console sits under the server (which starts it) and reads it through a callback
bad=$(includes_of src/console | grep -E ': (cli|server)/')
expect_eq "src/console includes no cli/ or server/" "$bad" ""
# a folder's private header stays in its folder
bad=$(includes_of src twiml webhooks tests bench | grep -E '_int\.h$' |
	awk -F': ' '{split($1, a, "/"); split($2, b, "/"); d = a[1] == "src" ? a[2] : a[1]; if (d != b[1]) print}')
expect_eq "no *_int.h is included from outside its folder" "$bad" ""

# one foreign library per adapter file (tests and bench may use them directly)
lib_only() { # DESC HEADER-REGEX ALLOWED-FILE
	local got
	got=$(grep -rlE "^#include <$2" --include='*.c' --include='*.h' src twiml webhooks | sort | tr '\n' ' ')
	expect_eq "$1" "$got" "$3 "
}
lib_only "only src/net/httpd.c includes libmicrohttpd" 'microhttpd\.h>' src/net/httpd.c
lib_only "only src/net/httpc.c includes libcurl" 'curl/' src/net/httpc.c
lib_only "only src/store/sqlite.c includes SQLite" 'sqlite3\.h>' src/store/sqlite.c
lib_only "only src/store/pg.c includes libpq" '(libpq-fe|libpq/|pg_config|postgres)' src/store/pg.c
lib_only "only twiml/reader.c includes libxml2" 'libxml/' twiml/reader.c
lib_only "only webhooks/crypto.c includes OpenSSL" 'openssl/' webhooks/crypto.c
lib_only "only src/net/sip.c includes libre (the SIP stack)" 're(\.h|_[a-z]+\.h)>' src/net/sip.c

# every source file has its one-line comment at the top and stays under 1000 lines
for f in $(git ls-files 'src/*.[ch]' 'twiml/*.[ch]' 'webhooks/*.[ch]'); do
	n=$(wc -l <"$f")
	[ "$n" -le 1000 ] || not_ok "$f has $n lines (the limit is 1000: split it by concern)"
	head -1 "$f" | grep -qE '^/\* [a-z_]+: ' || not_ok "$f does not start with '/* name: what it is for'"
	ok
done

finish
