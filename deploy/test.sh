#!/usr/bin/env bash
# Sets voxbus up with everything the tests need, then runs every test. Ends with one line
# "tests: N passed, N failed" and exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh --test
report=$(mktemp)
status=0
npx vitest run --config test/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || echo "tests: 0 passed, 1 failed"
rm -f "$report"
exit $status
