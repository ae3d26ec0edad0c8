# handoff: build, test, lint, fuzz, bench.
#   make            bin/handoff (optimised)
#   make check      unit + end-to-end tests under ASan/UBSan; ends "N passed, N failed"
#   make lint       clang-format check and cppcheck
#   make fuzz       libFuzzer targets, each run for FUZZ_SECONDS
#   make bench      the benchmarks (see bench/)
#   make run        the webhook server on ./handoff.db with the example destinations
#   make install    bin/handoff, handoff(1), handoff-serve.service and the docs under
#                   $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall removes them

CC      ?= cc
PKGS    := libxml-2.0 libcurl openssl sqlite3 libpq jansson libmicrohttpd
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wwrite-strings -Wvla -Wpointer-arith -Wno-format-nonliteral
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN    += -Werror
endif
CPPFLAGS += -D_GNU_SOURCE -I. -Isrc -Ibuild/gen $(shell pkg-config --cflags $(PKGS))
LIBS    := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
# libre (Debian's libre-dev, the SIP stack of `emulator --sip`) is optional: without it the
# project builds and passes, and --sip says it was built without SIP. Only src/net/sip.c
# includes it; its headers need these defines (libre is built with them).
HAVE_LIBRE := $(shell pkg-config --exists libre 2>/dev/null && echo 1)
ifeq ($(HAVE_LIBRE),1)
CPPFLAGS += -DHANDOFF_HAVE_LIBRE
RE_CPPFLAGS := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 \
               $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libre))
LIBS    += $(shell pkg-config --libs libre)
endif
build/rel/src/net/sip.o build/check/src/net/sip.o build/fuzz/obj/src/net/sip.o: CPPFLAGS += $(RE_CPPFLAGS)
OPT     := -O2 -g
SAN     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(filter-out src/cli/main.c,$(wildcard src/*/*.c twiml/*.c webhooks/*.c))
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_HDRS := $(wildcard tests/unit/*/*.h)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
HDRS    := $(wildcard src/*/*.h twiml/*.h webhooks/*.h tests/unit/*.h)

# The console's assets, embedded at build time (xxd -i) into a generated header.
CONSOLE_ASSETS := $(sort $(wildcard src/console/assets/*))
ASSETS_GEN := build/gen/console/assets_gen.h

REL_OBJ := $(LIB_SRC:%.c=build/rel/%.o)
CHK_OBJ := $(LIB_SRC:%.c=build/check/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/check/tests/%)

FUZZ_SECONDS ?= 30

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/handoff
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system

.PHONY: all check unit lint fuzz bench run clean deps format install uninstall
all: bin/handoff build/handoff.1

build/rel/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(OPT) $(CFLAGS) -c $< -o $@

build/check/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(SAN) $(CFLAGS) -c $< -o $@

$(ASSETS_GEN): $(CONSOLE_ASSETS) scripts/embed-assets.sh
	bash scripts/embed-assets.sh $@ $(CONSOLE_ASSETS)

build/rel/src/console/assets.o build/check/src/console/assets.o build/fuzz/obj/src/console/assets.o: $(ASSETS_GEN)

build/rel/libhandoff.a: $(REL_OBJ)
	@rm -f $@
	ar rcsP $@ $^

build/check/libhandoff.a: $(CHK_OBJ)
	@rm -f $@
	ar rcsP $@ $^

bin/handoff: build/rel/src/cli/main.o build/rel/libhandoff.a
	@mkdir -p bin
	$(CC) $(OPT) -o $@ $^ $(LIBS)

# The sanitized binary the end-to-end tests drive.
build/check/handoff: build/check/src/cli/main.o build/check/libhandoff.a
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# The SIP parity harness (tests/e2e/sip_parity.sh runs it): the flows over JSON and over SIP.
build/check/sip-parity: tests/sip/parity.c build/check/libhandoff.a
	$(CC) $(CPPFLAGS) $(WARN) $(SAN) $(CFLAGS) -o $@ $< build/check/libhandoff.a $(LIBS)

build/check/tests/%: tests/unit/%.c tests/unit/test.h $(UNIT_HDRS) build/check/libhandoff.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(WARN) $(SAN) $(CFLAGS) -o $@ $< build/check/libhandoff.a $(LIBS)

# The manual page comes from the command table (handoff man).
build/handoff.1: bin/handoff
	@mkdir -p build
	bin/handoff man >$@.tmp && mv $@.tmp $@

INSTALLED := $(BINDIR)/handoff $(MANDIR)/man1/handoff.1 $(UNITDIR)/handoff-serve.service \
             $(SYSCONFDIR)/handoff/handoff.env.example $(DOCDIR)/README.md \
             $(DOCDIR)/destinations.md $(DOCDIR)/flows.md

# The unit is made from its template here, with the paths of this install.
install: bin/handoff build/handoff.1
	install -D -m 0755 bin/handoff $(DESTDIR)$(BINDIR)/handoff
	install -D -m 0644 build/handoff.1 $(DESTDIR)$(MANDIR)/man1/handoff.1
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  dist/handoff-serve.service.in >$(DESTDIR)$(UNITDIR)/handoff-serve.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/handoff-serve.service
	install -D -m 0644 dist/handoff.env.example $(DESTDIR)$(SYSCONFDIR)/handoff/handoff.env.example
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 docs/destinations.md $(DESTDIR)$(DOCDIR)/destinations.md
	install -D -m 0644 docs/flows.md $(DESTDIR)$(DOCDIR)/flows.md

# Removes what install put there (and the folders it made, when they are left empty);
# a handoff.env of your own stays.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/handoff 2>/dev/null

unit: $(UNIT_BIN)

check: build/check/handoff $(UNIT_BIN) bin/handoff build/handoff.1 build/check/sip-parity
	@HANDOFF=$(CURDIR)/build/check/handoff UNIT_DIR=$(CURDIR)/build/check/tests \
	  bash tests/run.sh

lint:
	clang-format --dry-run --Werror $(LIB_SRC) src/cli/main.c $(HDRS) $(UNIT_SRC) $(UNIT_HDRS) $(FUZZ_SRC)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --std=c11 -I. -Isrc -D__GNUC__ $(LIB_SRC) src/cli/main.c

format:
	clang-format -i $(LIB_SRC) src/cli/main.c $(HDRS) $(UNIT_SRC) $(UNIT_HDRS) $(FUZZ_SRC)

# The library is compiled once with coverage instrumentation; each target links it.
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libhandoff.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcsP $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libhandoff.a
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libhandoff.a $(LIBS)

fuzz: $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
	@for f in $^; do \
	  name=$$(basename $$f); seeds=fixtures/fuzz/$${name#fuzz_}; corpus=build/fuzz/corpus-$$name; \
	  mkdir -p $$corpus; echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=70000 -print_final_stats=1 $$corpus \
	    $$( [ -d $$seeds ] && echo $$seeds ) >build/fuzz/$$name.log 2>&1; rc=$$?; \
	  tail -4 build/fuzz/$$name.log; [ $$rc -eq 0 ] || { grep -A30 'ERROR\|==ERROR\|abort' build/fuzz/$$name.log | head -40; exit 1; }; \
	done

bench: bin/handoff
	bash bench/run.sh

run: bin/handoff
	bash scripts/run.sh

deps:
	bash scripts/install-deps.sh

clean:
	rm -rf build bin
