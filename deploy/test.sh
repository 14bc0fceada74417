#!/usr/bin/env bash
# Sets voxbus up with everything the tests need (the build type-checks the tests too), then
# runs the linter (one line "lint: ok" or "lint: FAIL"), every test: the unit, process and
# end-to-end tests (one line "tests: N passed, N failed"), then the container test (one line
# "containers: PASS …" or "containers: FAIL …"). Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh --test
report=$(mktemp)
status=0
if npx biome lint --error-on-warnings . > "$report" 2>&1; then echo "lint: ok"; else cat "$report"; echo "lint: FAIL (npm run lint)"; status=1; fi
# vitest stops when this script is killed, even by SIGKILL (the kernel's parent-death signal); what
# the tests started stops with them (VOXBUS_EXIT_WITH_PID, and a watching shell for PulseAudio).
with_parent=()
command -v setpriv > /dev/null && with_parent=(setpriv --pdeathsig TERM)
"${with_parent[@]}" node node_modules/vitest/vitest.mjs run --config test/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || echo "tests: 0 passed, 1 failed"
rm -f "$report"

# Tests must not leave services running: an orphan keeps a port and a CPU busy, and makes the
# next test flaky. Name any left, kill them, and fail.
sleep 1
left=$(pgrep -af "$(pwd)/(services|deploy|test)/[^ ]*main\.js" || true)
if [ -n "$left" ]; then
  echo "tests left these processes running:" >&2
  echo "$left" >&2
  pkill -9 -f "$(pwd)/(services|deploy|test)/[^ ]*main\.js" || true
  status=1
fi
# Nor virtual boards: each test's PulseAudio daemon runs a script named voxbus-board.pa.
boards=$(pgrep -af 'pulseaudio .*voxbus-board\.pa' || true)
if [ -n "$boards" ]; then
  echo "tests left these virtual boards running:" >&2
  echo "$boards" >&2
  pkill -9 -f 'pulseaudio .*voxbus-board\.pa' || true
  status=1
fi

# The image built and the stack run in containers, when a container engine can be had (one runs,
# or the distribution can install one). Skipped when only some tests were asked for, or with
# VOXBUS_SKIP_CONTAINERS=1.
if [ $# -eq 0 ] && [ "${VOXBUS_SKIP_CONTAINERS:-0}" != 1 ]; then
  if command -v dockerd > /dev/null || docker info > /dev/null 2>&1 || command -v apt-get > /dev/null; then
    bash deploy/container-test.sh || { echo "containers: FAIL (deploy/container-test.sh; its log: tmp/container-test/)"; status=1; }
  else
    echo "containers: skipped (no container engine, and no apt-get to install one)"
  fi
fi
exit $status
