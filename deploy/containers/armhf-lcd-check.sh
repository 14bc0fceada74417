#!/usr/bin/env bash
# The lcd's drawing library on armv7 (armhf), checked on this x86 machine: the npm registry has
# no armv7 Node package to make the image's base from (cross-build.sh checks arm64 only), so this
# draws the lcd's golden screens with Debian's armhf Node under QEMU user emulation and the armhf
# build of @napi-rs/canvas that package-lock.json pins, and holds them against the golden images.
# Installs Debian's qemu-user-static when missing; takes armhf Debian packages from the Debian
# mirror (debootstrap's first stage, unpacked, never run) and the binding from the npm registry.
# A check, not part of the test command (a few minutes, mostly downloads).
#   deploy/containers/armhf-lcd-check.sh        (npm run check:armhf-lcd)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d -t voxbus-armhf.XXXXXX)
say() { printf '[armhf %4d s] %s\n' "$SECONDS" "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
cleanup() {
  local status=$?
  as_root rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v qemu-arm-static > /dev/null; then
  say "installing qemu-user-static"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static > /dev/null
fi
command -v debootstrap > /dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap > /dev/null

say "armhf Debian packages: Node and what it loads"
as_root debootstrap --foreign --arch=armhf --variant=minbase --include=nodejs bookworm "$work/root" "${VOXBUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$work/debootstrap.log" 2>&1 \
  || { tail -5 "$work/debootstrap.log" >&2; say "FAIL: debootstrap"; exit 1; }
for deb in "$work"/root/var/cache/apt/archives/*.deb; do as_root dpkg-deb -x "$deb" "$work/root"; done

version=$(node -p "require('./package-lock.json').packages['node_modules/@napi-rs/canvas-linux-arm-gnueabihf']?.version ?? ''")
[ -n "$version" ] || { say "FAIL: package-lock.json has no @napi-rs/canvas-linux-arm-gnueabihf"; exit 1; }
say "the drawing library's armhf build, $version (the lock's)"
mkdir -p "$work/check/node_modules/@napi-rs/canvas-linux-arm-gnueabihf"
(cd "$work" && npm pack --silent "@napi-rs/canvas-linux-arm-gnueabihf@$version" > /dev/null)
tar -xzf "$work"/napi-rs-canvas-linux-arm-gnueabihf-*.tgz -C "$work/check/node_modules/@napi-rs/canvas-linux-arm-gnueabihf" --strip-components 1
cp -r node_modules/@napi-rs/canvas "$work/check/node_modules/@napi-rs/"
npx esbuild services/lcd/test/golden-check.ts --bundle --platform=node --format=esm --target=node18 --external:@napi-rs/canvas \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" --outfile="$work/check/golden-check.mjs" --log-level=warning

say "drawing under QEMU"
result=$(qemu-arm-static -L "$work/root" "$work/root/usr/bin/node" "$work/check/golden-check.mjs" "$PWD/services/lcd/test/golden") \
  || { echo "$result" >&2; say "FAIL: the golden screens on armhf"; exit 1; }
echo "armhf-lcd: PASS: $result"
