#!/usr/bin/env bash
# Installs the official Node.js build for this machine's architecture where the distribution's is
# too old (Debian bookworm ships 18.20; voxbus needs 20.19 or newer): the newest release of the
# line, its tarball checked against the release's SHASUMS256.txt before anything is unpacked.
#   deploy/install-node.sh
# VOXBUS_NODE_LINE (default 22: the newest line with armv7 builds), VOXBUS_NODE_MIRROR (default
# https://nodejs.org/dist; any folder laid out the same way), VOXBUS_NODE_PREFIX (default /usr/local).
set -euo pipefail
line=${VOXBUS_NODE_LINE:-22}
mirror=${VOXBUS_NODE_MIRROR:-https://nodejs.org/dist}
prefix=${VOXBUS_NODE_PREFIX:-/usr/local}
say() { printf '[node] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ] || [ -w "$prefix" ]; then "$@"; else sudo "$@"; fi; }

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  armv7l | armv7*) arch=armv7l ;;
  *) say "no official Node.js build for $(uname -m): install Node.js $line by hand"; exit 1 ;;
esac
command -v curl > /dev/null || { say "curl is needed to download Node.js"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sums_url="$mirror/latest-v$line.x/SHASUMS256.txt"
curl -fsSL --retry 2 "$sums_url" -o "$work/SHASUMS256.txt" || { say "cannot fetch $sums_url"; exit 1; }
tarball=$(awk -v suffix="-linux-$arch.tar.xz" 'index($2, suffix) == length($2) - length(suffix) + 1 && $2 ~ /^node-v/ { print $2; exit }' "$work/SHASUMS256.txt")
[ -n "$tarball" ] || { say "no linux-$arch tarball listed in $sums_url"; exit 1; }
version=${tarball#node-}
version=${version%%-linux-*}
say "downloading Node.js $version ($arch)"
curl -fsSL --retry 2 "$mirror/latest-v$line.x/$tarball" -o "$work/$tarball" || { say "cannot fetch $tarball"; exit 1; }
expected=$(awk -v name="$tarball" '$2 == name { print $1 }' "$work/SHASUMS256.txt")
actual=$(sha256sum "$work/$tarball" | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
  say "checksum mismatch for $tarball (expected $expected, got $actual): not installed"
  exit 1
fi
mkdir -p "$work/unpacked"
tar -xJf "$work/$tarball" -C "$work/unpacked" --strip-components=1
as_root mkdir -p "$prefix"
# bin (node, npm, npx, corepack), include (headers for native addons), lib (npm), share (man pages)
as_root cp -a "$work/unpacked/bin" "$work/unpacked/include" "$work/unpacked/lib" "$work/unpacked/share" "$prefix/"
say "installed Node.js $("$prefix/bin/node" --version) in $prefix"
