#!/usr/bin/env bash
# Sets voxbus up if needed, then runs the broker and every service, each its own process
# (Ctrl-C stops them all). Settings: VOXBUS_* environment variables or VOXBUS_CONFIG=<json file>.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
exec npm start --silent -- "$@"
