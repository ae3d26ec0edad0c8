#!/usr/bin/env bash
# Installs the Debian packages handoff needs to build, test and benchmark.
# Says what it installs; does nothing when everything is already there.
set -euo pipefail

pkgs=(
  build-essential pkg-config
  libmicrohttpd-dev        # HTTP server: event loops, so idle and slow clients hold no thread
  libxml2-dev              # TwiML reader
  libcurl4-openssl-dev     # HTTP client (emulator webhooks, admin CLI)
  libssl-dev               # HMAC-SHA1, SHA-256
  libsqlite3-dev sqlite3   # destinations store (SQLite, the embedded default)
  libpq-dev                # destinations store (PostgreSQL, shared by replicas): libpq
  postgresql               # the tests' throwaway clusters (initdb, pg_ctl, psql)
  libjansson-dev           # JSON
  tzdata                   # the IANA zones destinations' opening hours are read in
  libre-dev                # SIP stack of 'emulator --sip' (optional at build time)
  sip-tester               # SIPp: the SIP end-to-end tests (tests/sip, tests/e2e/sip_*.sh)
  clang libclang-rt-14-dev # libFuzzer, sanitizers
  clang-format cppcheck    # make lint
  curl wrk                 # end-to-end tests, make bench
  man-db                   # make check renders handoff(1) with man -l
  xxd                      # the console's assets, embedded at build time (xxd -i)
  jq python3               # end-to-end tests read JSON and pick free ports
  chromium chromium-driver # the console's browser test (headless, over WebDriver)
  fonts-dejavu-core        # a font for the headless browser's pages and screenshots
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

# Node and npm run the interop tests against the official twilio package. The
# machine image may ship its own Node with npm bundled (which conflicts with
# Debian's npm package), so only install Debian's when there is none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
