#!/usr/bin/env bash
# console-screenshots.sh: regenerates docs/console/*.png (the README links them) by running
# the console's browser test (tests/e2e/console_browser.sh) with its screenshots kept.
# Needs chromium and chromium-driver (scripts/install-deps.sh) and the built check binary.
set -euo pipefail
cd "$(dirname "$0")/.."
make -j2 build/check/handoff >/dev/null
mkdir -p docs/console
HANDOFF=$PWD/build/check/handoff CONSOLE_SHOTS=$PWD/docs/console bash tests/e2e/console_browser.sh
ls -l docs/console/*.png
