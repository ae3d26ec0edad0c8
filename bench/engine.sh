#!/usr/bin/env bash
# engine.sh: complete transfer flows per second through the emulator engine (virtual clock,
# in-process, no HTTP). Builds bench/engine_bench.c against build/rel/libhandoff.a.
# Env: BENCH_SECONDS (default 2 per figure), FLOW (default the answerOnBridge=true flow).
set -eu
cd "$(dirname "$0")/.."
make -s build/rel/libhandoff.a
PKGS="libxml-2.0 libcurl openssl sqlite3 jansson"
mkdir -p build/bench
cc -std=c11 -D_GNU_SOURCE -O2 -I. -Isrc $(pkg-config --cflags $PKGS) -o build/bench/engine_bench \
	bench/engine_bench.c build/rel/libhandoff.a $(pkg-config --libs $PKGS) -lcivetweb -lpthread -lm
exec build/bench/engine_bench "${FLOW:-fixtures/flows/twilio-voice_aob-true_target-answers.json}" \
	"${BENCH_SECONDS:-2}"
