#!/bin/sh
# Runs one service for the runner (npm start): run-service.sh <name> <entry point>.
# INT and TERM are trapped with a no-op so that this shell waits for node's graceful stop (node
# gets the signals itself) instead of dying first; a trap, unlike an ignore, is not inherited.
# Exit code 78 is a configuration error (sysexits EX_CONFIG): restarting cannot fix it, so the
# runner is told "done" (0) after one line saying why; any other failure is restarted.
trap : INT TERM
node "$2"
code=$?
if [ "$code" -eq 78 ]; then
  echo "[runner] $1 has a configuration error (see above): not restarting it; fix it and run again" >&2
  exit 0
fi
exit "$code"
