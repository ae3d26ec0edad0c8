#!/usr/bin/env bash
# callgrind.sh: instructions per /refer request through handler_handle (stable
# on a shared machine, unlike req/s): runs bench/handler_loop.c under callgrind
# for N1 and N2 requests and prints the difference / (N2 - N1), which leaves out
# start-up and the first (cold) requests. Needs bin/handoff's objects (make).
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
LIBS="$(pkg-config --libs libxml-2.0 libcurl openssl sqlite3 libpq jansson libmicrohttpd) $(pkg-config --libs libre 2>/dev/null) -lpthread -lm"
cc -O2 -g -D_GNU_SOURCE -I. -Isrc $(pkg-config --cflags libxml-2.0) -o build/bench/handler_loop \
	bench/handler_loop.c build/rel/libhandoff.a $LIBS
build/bench/handler_loop 200000 | head -1
count() {
	valgrind --tool=callgrind --callgrind-out-file=build/bench/cg.$1.out \
		build/bench/handler_loop "$1" >/dev/null 2>build/bench/cg.$1.log
	awk '/Collected :/ {print $NF}' build/bench/cg.$1.log
}
a=$(count 2000)
b=$(count 12000)
echo "instructions per request: $(( (b - a) / 10000 ))"
echo "profile: callgrind_annotate build/bench/cg.12000.out | head -40"
