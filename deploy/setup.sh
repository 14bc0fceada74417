#!/usr/bin/env bash
# Sets voxbus up on a Debian or Ubuntu machine: system packages, Node.js (the official build where
# the distribution's is too old), npm packages,
# build. Idempotent: it installs only what is missing and can be run again at any time.
#   deploy/setup.sh          what running voxbus needs
#   deploy/setup.sh --test   plus what the tests and benchmarks need
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
want_mosquitto=false
for arg in "$@"; do
  case "$arg" in
    --test) want_test=true ;;
    --mosquitto) want_mosquitto=true ;;  # Mosquitto as the broker (deploy/run.sh --broker mosquitto)
  esac
done

# Running: the MQTT command-line clients, to watch the bus; ALSA, its headers and a C++
# toolchain to build the audio addons (native/alsa, and native/dsp over speexdsp); the ALSA plugins so that `default` reaches
# PulseAudio or PipeWire on a desktop; alsa-utils for `arecord -l` / `aplay -l`; the fonts
# the lcd draws with (DejaVu, and Droid Sans Fallback for Chinese, Japanese and Korean).
packages=(mosquitto-clients ca-certificates libasound2 libasound2-dev libasound2-plugins alsa-utils libspeexdsp1 libspeexdsp-dev pkg-config g++ make python3 fonts-dejavu-core fonts-droid-fallback)
# Tests: Mosquitto for interoperability, Debian's docker-compose to validate compose.yaml,
# espeak-ng and sox for real speech, PulseAudio for the virtual board (shared/src/testing/virtual-board.ts),
# TAP's LADSPA reverberator for the virtual board's room (its echo path's tail), and paho-mqtt and
# pyalsaaudio for the Python playback of examples/playback-python, which the conformance kit checks.
$want_test && packages+=(mosquitto docker-compose python3-yaml espeak-ng sox pulseaudio pulseaudio-utils tap-plugins python3-paho-mqtt python3-alsaaudio)
$want_mosquitto && packages+=(mosquitto)

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; exit 1
  fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done

# native/dsp's better engine: webrtc-audio-processing 0.3 (Debian 12, Ubuntu 22.04). Where the
# distribution has only the incompatible 1.x, or none, the addon builds with speexdsp alone.
webrtc=libwebrtc-audio-processing-dev
webrtc_offered() { command -v apt-cache >/dev/null && apt-cache show "$webrtc" 2>/dev/null | grep -q '^Version: 0\.3'; }
want_webrtc() { ! installed "$webrtc" && [[ " ${missing[*]} " != *" $webrtc "* ]] && webrtc_offered; }
want_webrtc && missing+=("$webrtc")

# Headless Chromium for the monitor page's browser test: Debian's package. Ubuntu ships Chromium
# only as a snap: there the test takes the Chromium CHROMIUM_PATH names, and says so when none is.
chromium=chromium-headless-shell
chromium_offered() { command -v apt-cache >/dev/null && apt-cache show "$chromium" >/dev/null 2>&1; }
want_chromium() { $want_test && ! installed "$chromium" && [[ " ${missing[*]} " != *" $chromium "* ]] && chromium_offered; }
want_chromium && missing+=("$chromium")

# Node.js ≥ 20.19 (the services' engines); Debian's nodejs package where that is new enough.
node_ok() {
  command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
# Otherwise the official build (deploy/install-node.sh), fetched with curl and unpacked by xz.
if ! node_ok; then
  for package in curl xz-utils; do installed "$package" || missing+=("$package"); done
fi

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    say "missing ${missing[*]} and this is not a Debian/Ubuntu system: install them by hand"; exit 1
  fi
  as_root apt-get update -qq
  # A fresh machine's package lists may only now know them.
  want_webrtc && missing+=("$webrtc")
  want_chromium && missing+=("$chromium")
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's package starts a system-wide Mosquitto on port 1883, the port voxbus's broker takes:
  # the one we just installed is for the runner to start, so the packaged service is stopped.
  if [[ " ${missing[*]} " == *" mosquitto "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
fi
if ! node_ok; then
  say "Node.js $(node --version 2>/dev/null || echo none) is too old for voxbus (20.19 or newer): installing the official Node.js 22"
  deploy/install-node.sh
  hash -r
  node_ok || { say "Node.js in PATH is still $(node --version 2>/dev/null || echo none): put /usr/local/bin first in PATH"; exit 1; }
fi

# npm packages: `npm ci` only when the lock file changed since the last install.
stamp=node_modules/.voxbus-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

say "building"
npm run --silent build
# The workspaces' commands (voxbus, voxbus-health, voxbus-credentials) point into dist/, which the
# install above ran before: npm links a command only once its file exists, so link them now.
[ -x node_modules/.bin/voxbus ] || npm rebuild --ignore-scripts --loglevel=error @voxbus/shared @voxbus/broker > /dev/null
say "ready"
