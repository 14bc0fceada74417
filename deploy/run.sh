#!/usr/bin/env bash
# Sets voxbus up if needed, then runs the broker and every service, each its own process
# (Ctrl-C stops them all). Settings: VOXBUS_* environment variables or VOXBUS_CONFIG=<json file>.
set -euo pipefail
cd "$(dirname "$0")/.."
# Mosquitto as the broker (--broker mosquitto, or VOXBUS_BROKER=mosquitto) is installed only when asked for.
setup_args=()
[ "${VOXBUS_BROKER:-}" = mosquitto ] && setup_args+=(--mosquitto)
previous=""
for arg in "$@"; do
  { [ "$previous" = --broker ] && [ "$arg" = mosquitto ]; } || [ "$arg" = --broker=mosquitto ] && setup_args+=(--mosquitto)
  previous="$arg"
done
deploy/setup.sh "${setup_args[@]}"
# The V8 options every service runs with (shared/src/runtime/node-options.ts), the runner too: in
# all-in-one mode (VOXBUS_MODE=all-in-one or --all-in-one) it is the services.
case " ${NODE_OPTIONS:-} " in
  *--max-semi-space-size*) ;;
  *) export NODE_OPTIONS="${NODE_OPTIONS:-} --max-semi-space-size=1" ;;
esac
# Two malloc arenas, not one per allocating thread (shared/src/runtime/node-options.ts).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# Blocks of 32 KiB and more on pages of their own, returned when freed (same file).
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-32768}"
# The runner itself, not `npm start`: npm would stay resident above it (40-50 MiB on a board).
exec node deploy/runner/dist/main.js "$@"
