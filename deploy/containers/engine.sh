#!/usr/bin/env bash
# Makes a container engine answer on this machine, installing it from the distribution when it
# is missing: Debian's docker.io, and the Compose v2 plugin (bookworm packages only Compose 1.29,
# so the plugin comes from the next release's docker-compose package: cli-plugin.sh). Without
# systemd nothing starts dockerd: then it is started here, and its pid written to $1 so the
# caller stops what it started.
#   deploy/containers/engine.sh <pidfile>     exits 0 when `docker info` and `docker compose` answer
set -euo pipefail
pidfile=${1:?usage: engine.sh <pidfile>}
say() { printf '[engine] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dockerd > /dev/null; then
  command -v apt-get > /dev/null || { say "no dockerd and no apt-get: install a container engine"; exit 1; }
  say "installing docker.io"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io > /dev/null
fi

if ! docker compose version > /dev/null 2>&1; then
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose-plugin > /dev/null 2>&1 \
    || ! docker compose version > /dev/null 2>&1; then
    say "installing the Compose v2 plugin (from Debian trixie's docker-compose)"
    "$(dirname "$0")/cli-plugin.sh" docker-compose docker-compose
  fi
fi

if ! docker info > /dev/null 2>&1; then
  log=$(dirname "$pidfile")/dockerd.log
  say "starting dockerd (log: $log)"
  # Started directly (not through a function: $! must be dockerd's own pid, or sudo's, which
  # passes signals on), so the caller's kill reaches it.
  if [ "$(id -u)" = 0 ]; then dockerd --storage-driver=overlay2 > "$log" 2>&1 &
  else sudo dockerd --storage-driver=overlay2 > "$log" 2>&1 &
  fi
  echo $! > "$pidfile"
  for _ in $(seq 120); do docker info > /dev/null 2>&1 && break; sleep 0.5; done
  docker info > /dev/null 2>&1 || { say "dockerd did not come up:"; tail -5 "$log" >&2; exit 1; }
fi
say "$(docker version --format 'engine {{.Server.Version}}') · $(docker compose version --short 2>/dev/null | sed 's/^/compose /')"
