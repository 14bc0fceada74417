#!/usr/bin/env bash
# Makes the bus logins for compose.yaml with the image's own voxbus-credentials: one password
# file per service and per role (monitor, controller, admin) and the broker's users.json, in
# VOXBUS_CREDENTIALS_DIR (default ./credentials; a folder only you may enter). Existing
# passwords are kept; --rotate makes new ones (then `docker compose up -d --force-recreate`).
# The files are mode 0644 inside that 0700 folder: each container gets only its own file (a
# compose secret) and runs as another user than you.
#   deploy/compose-credentials.sh [--rotate] [--login name:role[:hear-audio]]...
set -euo pipefail
cd "$(dirname "$0")/.."
env_value() { [ -f .env ] || return 0; sed -n "s/^$1=//p" .env | tail -1; }
dir=${VOXBUS_CREDENTIALS_DIR:-$(env_value VOXBUS_CREDENTIALS_DIR)}
dir=${dir:-./credentials}
image=${VOXBUS_IMAGE:-$(env_value VOXBUS_IMAGE)}
image=${image:-voxbus:latest}
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
if ! docker image inspect "$image" > /dev/null 2>&1; then
  echo "compose-credentials: the image $image is not here: run \`docker compose build\` (or pull it) first" >&2
  exit 1
fi
docker run --rm --user "$(id -u):$(id -g)" --volume "$dir:/credentials" --entrypoint node "$image" \
  services/broker/dist/credentials-cli.mjs /credentials --file-mode 0644 "$@"
