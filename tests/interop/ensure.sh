#!/usr/bin/env bash
# ensure.sh: installs the official twilio package (and express) into
# tests/interop/node_modules once. Exit 0 when ready; 3 when npm or the
# registry is not reachable, so callers can say the test was skipped.
set -u
cd "$(dirname "$0")"
if [ -f node_modules/twilio/package.json ] && [ -f node_modules/express/package.json ]; then
	exit 0
fi
command -v npm >/dev/null || { echo "npm not installed" >&2; exit 3; }
if ! timeout 300 npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1; then
	echo "npm install failed: $(tail -3 npm.log)" >&2
	exit 3
fi
[ -f node_modules/twilio/package.json ] || exit 3
